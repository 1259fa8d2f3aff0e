; The AP start-up trampoline (docs/smp.md). arch/x86_64/smp.c copies the
; bytes from tramp_start to tramp_end into a free frame below 1 MiB, P, and
; sends INIT-SIPI-SIPI with vector P >> 12: the AP starts in real mode at
; CS = P >> 4, IP = 0. The code is position-independent: it computes P from
; CS and reaches everything relative to it.
;
;   16-bit real mode   load the trampoline GDT, set CR0.PE (clear CD/NW)
;   32-bit protected   PAE, CR3 = the temporary PML4 at P + 4 KiB (below
;                      4 GiB, as a 32-bit CR3 load requires), EFER.LME|NXE,
;                      CR0.PG|WP
;   64-bit long mode   still at P through the temporary tables' identity
;                      map of 0 - 2 MiB; jumps to ap_entry64 in the kernel
;                      image, which the temporary PML4 maps too (its upper
;                      half is a copy of the kernel's)
;   ap_entry64         switches to the kernel's own CR3, its own stack, and
;                      calls smp_ap_main(cpu)
;
; kernel/smp_boot.c fills the data block (struct tramp_data) before each start-up.

%include "boot/long_mode.inc"

CR0_PE          equ 1 << 0
CR0_NW          equ 1 << 29
CR0_CD          equ 1 << 30
TRAMP_STACK     equ 0x1000          ; top of the trampoline's own frame

extern smp_ap_main

section .rodata
align 16
global tramp_start, tramp_end, tramp_data

bits 16
tramp_start:
        cli
        cld
        xor ebx, ebx
        mov bx, cs
        mov ds, bx
        mov ss, bx
        mov sp, TRAMP_STACK
        shl ebx, 4                              ; ebx = P
        lea eax, [ebx + tramp_gdt - tramp_start]
        mov [tramp_gdtr + 2 - tramp_start], eax
        o32 lgdt [tramp_gdtr - tramp_start]
        mov eax, cr0
        and eax, ~(CR0_CD | CR0_NW)
        or eax, CR0_PE
        mov cr0, eax
        lea eax, [ebx + pm32 - tramp_start]
        push dword 0x08
        push eax
        o32 retf

bits 32
pm32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        lea esp, [ebx + TRAMP_STACK]
        ENABLE_PAGING [ebx + td_pml4 - tramp_start]
        lea eax, [ebx + lm64 - tramp_start]
        push dword 0x18
        push eax
        retf

bits 64
lm64:
        mov ebx, ebx                            ; zero-extend P
        mov rdi, [rbx + td_cpu - tramp_start]
        mov rsi, [rbx + td_stack - tramp_start]
        mov rcx, [rbx + td_kernel_cr3 - tramp_start]
        mov rax, [rbx + td_entry - tramp_start]
        jmp rax

align 16
tramp_gdt:
        dq 0
        dq 0x00cf9a000000ffff                   ; 0x08: 32-bit code, flat
        dq 0x00cf92000000ffff                   ; 0x10: data, flat
        dq 0x00209a0000000000                   ; 0x18: 64-bit code
tramp_gdtr:
        dw 4 * 8 - 1
        dd 0                                    ; P + tramp_gdt, set at run time

align 8
tramp_data:                                     ; struct tramp_data (smp.c)
td_pml4:        dq 0
td_kernel_cr3:  dq 0
td_entry:       dq 0
td_stack:       dq 0
td_cpu:         dq 0
tramp_end:

section .text
; rdi = cpu, rsi = stack top, rcx = the kernel's root table.
global ap_entry64
ap_entry64:
        mov cr3, rcx
        mov rsp, rsi
        xor ebp, ebp
        call smp_ap_main
.hang:
        cli
        hlt
        jmp .hang
