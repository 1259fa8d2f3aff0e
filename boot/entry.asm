; 32-bit entry from GRUB, CPU checks, early page tables and the switch to
; 64-bit long mode. Everything here runs at its physical (load) address;
; it ends by jumping to the higher-half kernel (linked at KERNEL_VMA).
;
; Early address space, built from three tables and 4 page directories:
;   0x0000000000000000 + 4 GiB  identity, 2 MiB pages (needed for the switch)
;   0xffff888000000000 + 4 GiB  direct map of the same physical memory
;   0xffffffff80000000 + 1 GiB  the kernel image (physical 0 + 1 GiB)
; The C kernel replaces all of this with its own tables (mm/kernel_map.c).

%include "boot/long_mode.inc"

KERNEL_VMA      equ 0xffffffff80000000
MB2_BOOT_MAGIC  equ 0x36d76289

PTE_P           equ 1 << 0          ; present
PTE_W           equ 1 << 1          ; writable
PTE_PS          equ 1 << 7          ; page size (2 MiB leaf in a PD)

CPUID_EXT_LM    equ 1 << 29         ; CPUID 0x80000001 EDX
CPUID_EXT_NX    equ 1 << 20

COM1            equ 0x3f8

extern kmain

; The boot CPU's kernel stack, with one guard page below it. The guard is
; left unmapped when the kernel image is remapped page by page, so running
; off the end of the stack faults (and the double-fault handler, on its own
; IST stack, reports it) instead of silently corrupting .bss.
BOOT_STACK_SIZE equ 16384
section .bss.stack nobits align=4096
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:   resb 4096
boot_stack_bottom:  resb BOOT_STACK_SIZE
boot_stack_top:

section .boot.bss nobits align=4096
global boot_pml4
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096           ; identity and direct map share it
boot_pdpt_high: resb 4096           ; PML4[511]: the -2 GiB kernel window
boot_pd:        resb 4096 * 4       ; physical 0 .. 4 GiB in 2 MiB pages
boot_pd_end:
boot_stack32:   resb 1024
boot_stack32_top:

section .boot.data
align 8
boot_gdt:
        dq 0
        dq 0x00209a0000000000       ; 0x08: 64-bit code, present, ring 0
        dq 0x0000920000000000       ; 0x10: data, present, writable
boot_gdt_ptr:
        dw boot_gdt_ptr - boot_gdt - 1
        dd boot_gdt

msg_no_mb2:     db "boot: not started by a Multiboot2 loader, halting", 13, 10, 0
msg_no_lm:      db "boot: this CPU has no 64-bit long mode, halting", 13, 10, 0
msg_no_nx:      db "boot: this CPU has no NX (execute-disable) bit, halting", 13, 10, 0

section .boot.text
bits 32
global _start
_start:
        cli
        cld
        mov esp, boot_stack32_top
        ; EDI/ESI carry magic and info pointer into kmain (SysV args).
        mov edi, eax
        mov esi, ebx
        cmp edi, MB2_BOOT_MAGIC
        jne .no_multiboot
        call cpu_has_long_mode
        call build_boot_tables

        ; CR4 exactly PAE: nothing the firmware left on (UEFI: OSFXSR,
        ; MCE...) survives.
        ENABLE_PAGING boot_pml4

        lgdt [boot_gdt_ptr]
        jmp 0x08:long_mode_entry

.no_multiboot:
        mov esi, msg_no_mb2
        jmp boot_fail

; Halts with a message unless CPUID reports long mode and NX.
cpu_has_long_mode:
        mov eax, 0x80000000
        cpuid
        cmp eax, 0x80000001
        jb .no_lm
        mov eax, 0x80000001
        cpuid
        test edx, CPUID_EXT_LM
        jz .no_lm
        test edx, CPUID_EXT_NX
        jz .no_nx
        ret
.no_lm:
        mov esi, msg_no_lm
        jmp boot_fail
.no_nx:
        mov esi, msg_no_nx
        jmp boot_fail

; Fills the early tables described at the top of this file. The .boot.bss
; tables are cleared first: nothing is assumed about the loader zeroing it.
build_boot_tables:
        push edi
        mov edi, boot_pml4
        mov ecx, (boot_pd_end - boot_pml4) / 4
        xor eax, eax
        rep stosd

        mov eax, boot_pdpt_low + (PTE_P | PTE_W)
        mov [boot_pml4 + 0 * 8], eax            ; identity
        mov [boot_pml4 + 273 * 8], eax          ; 0xffff888000000000
        mov eax, boot_pdpt_high + (PTE_P | PTE_W)
        mov [boot_pml4 + 511 * 8], eax

        xor ecx, ecx                            ; 4 PDs -> PDPT entries 0..3
.pdpt:
        mov eax, ecx
        shl eax, 12
        add eax, boot_pd + (PTE_P | PTE_W)
        mov [boot_pdpt_low + ecx * 8], eax
        inc ecx
        cmp ecx, 4
        jne .pdpt
        mov eax, boot_pd + (PTE_P | PTE_W)
        mov [boot_pdpt_high + 510 * 8], eax     ; 0xffffffff80000000

        xor ecx, ecx                            ; 2048 x 2 MiB = 4 GiB
.pd:
        mov eax, ecx
        shl eax, 21
        or eax, PTE_P | PTE_W | PTE_PS
        mov edx, ecx
        shr edx, 11                             ; bits 32+ of the address
        mov [boot_pd + ecx * 8], eax
        mov [boot_pd + ecx * 8 + 4], edx
        inc ecx
        cmp ecx, 2048
        jne .pd
        pop edi
        ret

; Prints the NUL-terminated string at ESI on COM1, then halts for good.
boot_fail:
        mov dx, COM1 + 5
.wait:
        in al, dx
        test al, 0x20
        jz .wait
        lodsb
        test al, al
        jz .halt
        mov dx, COM1
        out dx, al
        jmp boot_fail
.halt:
        hlt
        jmp .halt

bits 64
long_mode_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor eax, eax
        mov fs, ax
        mov gs, ax
        mov rax, higher_half_entry
        jmp rax

section .text
higher_half_entry:
        mov rsp, boot_stack_top
        xor ebp, ebp
        ; edi = Multiboot2 magic, esi = physical address of the boot info.
        mov esi, esi
        call kmain
.hang:
        cli
        hlt
        jmp .hang
