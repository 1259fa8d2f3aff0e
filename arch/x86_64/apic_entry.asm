; Entry stubs of the local APIC vectors 0xf0 - 0xff (arch/x86_64/apic.h):
; the same shape as arch/x86_64/entry.asm's, joining its trap_common.

extern trap_common

section .text
bits 64

%assign v 0xf0
%rep 16
apic_stub_ %+ v:
        push 0
        push v
        jmp trap_common
%assign v v + 1
%endrep

section .rodata
align 8
global apic_stub_table
apic_stub_table:
%assign v 0xf0
%rep 16
        dq apic_stub_ %+ v
%assign v v + 1
%endrep
