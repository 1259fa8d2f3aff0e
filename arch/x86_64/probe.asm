; Memory probes that report a fault instead of taking the kernel down.
; Each instruction that may fault has an entry in __ex_table (instruction
; address, fixup address); arch/x86_64/extable.c redirects a faulting RIP
; found there to its fixup, which returns -EFAULT (kernel/probe.h).

EFAULT  equ 14

%macro EXTABLE 2
        section __ex_table progbits alloc noexec nowrite align=8
        dq %1, %2
        section .text
%endmacro

section .text
bits 64

; int probe_copy(void *dst, const void *src, size_t len)
; Copies len bytes; 0, or -EFAULT if either side faulted part way.
global probe_copy
probe_copy:
        mov rcx, rdx
.copy:
        rep movsb
        xor eax, eax
        ret
.fault:
        mov eax, -EFAULT
        ret
        EXTABLE .copy, .fault

; int probe_exec(void *target)
; Calls target() (which must return, clobbering only caller-saved
; registers). 0 if it ran, -EFAULT if fetching its first instruction
; faulted (not present, or NX).
global probe_exec, probe_exec_target, probe_exec_fixup
probe_exec:
        push rbp
        mov rbp, rsp
        mov [rel probe_exec_sp], rsp
        mov [rel probe_exec_target], rdi
        call rdi
        xor eax, eax
        jmp probe_exec_done
probe_exec_fixup:
        mov rsp, [rel probe_exec_sp]
        mov eax, -EFAULT
probe_exec_done:
        mov qword [rel probe_exec_target], 0
        pop rbp
        ret

section .bss
align 8
probe_exec_target:  resq 1      ; armed while probe_exec runs its target
probe_exec_sp:      resq 1
