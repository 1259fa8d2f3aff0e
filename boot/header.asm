; Multiboot2 header: tells GRUB this image wants to be loaded as a
; Multiboot2 kernel. GRUB then enters boot/entry.asm in 32-bit protected
; mode, paging off, EAX = 0x36d76289 and EBX = physical address of the
; boot information structure (Multiboot2 specification, section 3.1).

MB2_MAGIC       equ 0xe85250d6
MB2_ARCH_I386   equ 0
MB2_TAG_END     equ 0
MB2_TAG_INFOREQ equ 1
MB2_TAG_FRAMEBUFFER equ 5
MB2_TAG_OPTIONAL equ 1

section .multiboot2 align=8
mb2_header_start:
        dd MB2_MAGIC
        dd MB2_ARCH_I386
        dd mb2_header_end - mb2_header_start
        dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))

        ; Ask for the tags the kernel parses. Marked optional so that a loader
        ; lacking one of them still boots us; bootinfo checks what arrived.
        align 8
.inforeq:
        dw MB2_TAG_INFOREQ, MB2_TAG_OPTIONAL
        dd .inforeq_end - .inforeq
        dd 1            ; command line
        dd 2            ; boot loader name
        dd 6            ; memory map
        dd 9            ; ELF sections
        dd 14           ; ACPI 1.0 RSDP
        dd 15           ; ACPI 2.0 RSDP
        dd 17           ; EFI memory map
.inforeq_end:

        ; A framebuffer of any mode is fine (the kernel talks only to the
        ; serial port). Without this tag GRUB on UEFI, which has no text mode
        ; to hand over, prints "WARNING: no console will be available to OS"
        ; into every serial log. On BIOS, grub.cfg keeps text mode.
        align 8
        dw MB2_TAG_FRAMEBUFFER, MB2_TAG_OPTIONAL
        dd 20
        dd 0            ; width: no preference
        dd 0            ; height
        dd 0            ; depth

        align 8
        dw MB2_TAG_END, 0
        dd 8
mb2_header_end:
