/*
 * cri-ts test fixture for the nonewprivs:1.3 stand-in. Installed setuid root:
 * it prints the effective uid it runs with, so a container started as a
 * non-root user shows 0 unless no_new_privs stopped the setuid bit.
 */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %u\n", (unsigned)geteuid());
  return 0;
}
