; Non-local jumps for the test harness: a case that faults, times out or
; fails an assertion jumps back to the runner's saved context.

section .text
bits 64

; int ksetjmp(struct kjmp_buf *buf): 0 when called, the longjmp value later.
global ksetjmp
ksetjmp:
        mov [rdi + 0], rbx
        mov [rdi + 8], rbp
        mov [rdi + 16], r12
        mov [rdi + 24], r13
        mov [rdi + 32], r14
        mov [rdi + 40], r15
        lea rdx, [rsp + 8]              ; the caller's RSP after we return
        mov [rdi + 48], rdx
        mov rdx, [rsp]                  ; our return address
        mov [rdi + 56], rdx
        xor eax, eax
        ret

; void klongjmp(struct kjmp_buf *buf, int val): never returns; val 0 becomes 1.
global klongjmp
klongjmp:
        mov eax, esi
        test eax, eax
        jnz .nonzero
        inc eax
.nonzero:
        mov rbx, [rdi + 0]
        mov rbp, [rdi + 8]
        mov r12, [rdi + 16]
        mov r13, [rdi + 24]
        mov r14, [rdi + 32]
        mov r15, [rdi + 40]
        mov rsp, [rdi + 48]
        jmp [rdi + 56]
