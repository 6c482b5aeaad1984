/*
 * int80: make one system call through the i386 ABI (int $0x80) from a 64-bit
 * program: getpid, which is number 20 there (39 on x86_64). A seccomp filter
 * is written for one architecture's numbers; a call through another ABI must
 * not slip past it. Under runt's filter the process is killed with SIGSYS.
 * Prints "getpid via int 0x80: <result>"; exits 77 where there is no such ABI.
 */
#include <stdio.h>

int main(void)
{
#if defined(__x86_64__)
    long ret = 20; /* __NR_getpid on i386 */

    __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
    printf("getpid via int 0x80: %ld\n", ret);
    return 0;
#else
    puts("int80: only meaningful on x86_64");
    return 77;
#endif
}
