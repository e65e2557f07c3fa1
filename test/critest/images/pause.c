/*
 * cri-ts test fixture: the pod sandbox's holder process (a stand-in for
 * registry.k8s.io/pause). As PID 1 of a pod it must stay alive, reap every
 * orphan re-parented to it, and leave cleanly on SIGINT or SIGTERM.
 * It waits on a blocked signal set, so no work happens in signal handlers.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

static void noop(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
    puts("cri-ts pause");
    return 0;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  /* As PID 1, signals left at SIG_DFL are dropped: give them a handler, then block them. */
  struct sigaction sa = {.sa_handler = noop};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGINT || sig == SIGTERM) return 0;
    if (sig == SIGCHLD)
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
  }
}
