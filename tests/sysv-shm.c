/*
 * sysv-shm KEY: create a SysV shared memory segment with the given numeric key
 * and print "key=0x... shmid=N". The segment outlives the program: it lives
 * until its IPC namespace does. The stage 02 suite uses it to show that an IPC
 * object made inside a container is invisible outside (see ipc_namespaces(7)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
    key_t key;
    int id;

    if (argc != 2) {
        fprintf(stderr, "usage: sysv-shm KEY\n");
        return 2;
    }
    key = (key_t)strtol(argv[1], NULL, 0);
    id = shmget(key, 4096, IPC_CREAT | 0600);
    if (id < 0) {
        fprintf(stderr, "sysv-shm: shmget: %s\n", strerror(errno));
        return 1;
    }
    printf("key=%#x shmid=%d\n", (unsigned)key, id);
    return 0;
}
