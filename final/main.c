/* runt (final): placeholder until the runtime lands. */
#include "runt.h"

#include <stdio.h>

int main(void)
{
    fputs("runt: final/ is being built\n", stderr);
    return 125;
}
