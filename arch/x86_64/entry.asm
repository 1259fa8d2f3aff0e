; Interrupt and exception entry. Each vector has a stub that pushes a
; dummy error code where the CPU pushes none, then its vector number, and
; joins trap_common, which saves the general registers as a struct
; trap_frame (arch/x86_64/trap.h) and calls trap_dispatch(frame). The
; handler may edit the frame (an exception fixup changes RIP) before the
; registers are restored and IRETQ resumes.

extern trap_dispatch
global trap_common

section .text
bits 64

%macro TRAP_NOERR 1
trap_stub_%1:
        push 0
        push %1
        jmp trap_common
%endmacro

%macro TRAP_ERR 1
trap_stub_%1:
        push %1
        jmp trap_common
%endmacro

; Vectors 8, 10-14, 17, 21, 29, 30 get an error code from the CPU.
%assign v 0
%rep 48
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
        TRAP_ERR v
%else
        TRAP_NOERR v
%endif
%assign v v + 1
%endrep

trap_common:
        push rax
        push rbx
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        cld
        mov rdi, rsp
        ; Make the saved RBP/RIP pair a frame so backtraces walk through
        ; the trap into the interrupted code.
        push qword [rsp + 17 * 8]       ; interrupted RIP
        push rbp
        mov rbp, rsp
        call trap_dispatch
        add rsp, 16
        pop r15
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rbp
        pop rdi
        pop rsi
        pop rdx
        pop rcx
        pop rbx
        pop rax
        add rsp, 16                     ; vector and error code
        iretq

section .rodata
align 8
global trap_stub_table
trap_stub_table:
%assign v 0
%rep 48
        dq trap_stub_ %+ v
%assign v v + 1
%endrep
