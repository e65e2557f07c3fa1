#!/usr/bin/perl
# cri-ts's command helper: starts host programs (mount, ip, CNI plugins, ...)
# for cri-ts and reports how each ended. Starting a process blocks the
# starting thread until the child has exec'd: in cri-ts's event loop that
# stalled every RPC in flight. Perl because perl-base is Essential on Debian
# and this process then costs a few MB, where a second Node process cost
# 42 MB. Only perl-base modules are used, and not POSIX: loading it took 1.3 MB
# of the helper's 7 (Fcntl and the core built-ins do what it did here). It
# exits when cri-ts closes its stdin.
#
# Frames both ways: a 32-bit big-endian length, then the payload.
# Request:  N id, N timeout ms, C flags (1 input, 2 own process group, 4 env, 8 cwd,
#           16 timeout, 32 mount), N/a* file, N/a* cwd, N/a* input,
#           N/(N/a*) env "K=V", N/(N/a*) args.
# With flag 32 nothing is exec'd: the child calls mount(2) itself, args being
# its syscall number, source, target, filesystem type, flags and data (an empty
# type or data is NULL), and before it, when args[6] and args[7] are given,
# unshare(2) by number with those flags (a new netns to bind-mount from
# /proc/self/ns/net). It exits 0, or reports the errno as a failed exec would.
# Starting mount or ip for this cost a pod start 7 to 9 ms on its critical path.
# Reply:    N id, C how (0 exited, 1 signalled, 2 not started), N code (exit code,
#           signal number or errno), C timed out, N/a* stdout, N/a* stderr.
use strict;
use warnings;
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);

use constant { HAS_INPUT => 1, OWN_GROUP => 2, HAS_ENV => 4, HAS_CWD => 8, HAS_TIMEOUT => 16, MOUNT => 32 };
use constant CHUNK => 65536;
# While a finished program's pipes are closed but it is not reaped yet, look again this often (s).
use constant REAP_POLL => 0.01;
# waitpid's WNOHANG: 1 on Linux, the only kernel cri-ts runs on (POSIX is not loaded for it).
use constant WNOHANG => 1;

$SIG{PIPE} = 'IGNORE';
# A handler of our own, so a child's exit interrupts select().
$SIG{CHLD} = sub { };
binmode STDIN;
binmode STDOUT;

my $requests = '';
my %jobs;    # pid => job
my %reading; # fileno => [job, 'stdout' | 'stderr', handle]

sub reply {
    my ($job) = @_;
    my $payload = pack('N C N C N/a* N/a*', $job->{id}, $job->{how}, $job->{code}, $job->{timed_out} ? 1 : 0, $job->{stdout}, $job->{stderr});
    my $frame = pack('N', length $payload) . $payload;
    while (length $frame) {
        my $n = syswrite(STDOUT, $frame);
        if (!defined $n) {
            next if $!{EINTR} || $!{EAGAIN};
            exit 0;    # cri-ts is gone
        }
        substr($frame, 0, $n, '');
    }
}

sub start_job {
    my ($payload) = @_;
    my ($id, $timeout_ms, $flags, $file, $cwd, $input, $env, $args) = do {
        my @fields = unpack('N N C N/a* N/a* N/a*', $payload);
        my $rest = substr($payload, 4 + 4 + 1 + 12 + length($fields[3]) + length($fields[4]) + length($fields[5]));
        my ($env_count) = unpack('N', $rest);
        my @env_and_args = unpack('N/(N/a*) N/(N/a*)', $rest);
        (@fields, [@env_and_args[0 .. $env_count - 1]], [@env_and_args[$env_count .. $#env_and_args]]);
    };
    my $job = { id => $id, stdout => '', stderr => '', how => 2, code => 0, timed_out => 0, open => 0, group => $flags & OWN_GROUP };
    $job->{left} = $timeout_ms / 1000 if $flags & HAS_TIMEOUT;

    my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $exec_r, $exec_w);
    pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($exec_r, $exec_w) && (!($flags & HAS_INPUT) || pipe($in_r, $in_w)) or do {
        $job->{code} = $! + 0;
        reply($job);
        return;
    };
    my $pid = fork;
    if (!defined $pid) {
        $job->{code} = $! + 0;
        reply($job);
        return;
    }
    if ($pid == 0) {
        # The child: every pipe above fd 2 is close-on-exec already ($^F), the exec one included.
        $SIG{PIPE} = 'DEFAULT';
        $SIG{CHLD} = 'DEFAULT';
        close $exec_r;
        setpgrp(0, 0) if $flags & OWN_GROUP;
        # Reopening a standard handle keeps its descriptor (perl dup2()s onto 0, 1, 2).
        if ($flags & HAS_INPUT) {
            open(STDIN, '<&', $in_r);
        } else {
            open(STDIN, '<', '/dev/null');
        }
        open(STDOUT, '>&', $out_w);
        open(STDERR, '>&', $err_w);
        my $errno;
        if ($flags & MOUNT) {
            my ($mount, $source, $target, $type, $mount_flags, $data, $unshare, $unshare_flags) = @$args;
            # syscall() passes a string as a pointer and a number as an integer (0: NULL).
            exit 0 if (!defined $unshare || syscall($unshare + 0, $unshare_flags + 0) == 0)
                && syscall($mount + 0, $source, $target, length $type ? $type : 0, $mount_flags + 0, length $data ? $data : 0) == 0;
            $errno = $! + 0;
        } elsif (($flags & HAS_CWD) && !chdir $cwd) {
            $errno = $! + 0;
        } else {
            %ENV = map { split /=/, $_, 2 } @$env if $flags & HAS_ENV;
            { no warnings 'exec'; exec { $file } $file, @$args; }
            $errno = $! + 0;
        }
        syswrite($exec_w, pack('N', $errno));
        # Nothing is buffered and no object has a destructor: exit() does what _exit() would.
        exit 127;
    }
    close $exec_w;
    close $out_w;
    close $err_w;
    close $in_r if $flags & HAS_INPUT;
    # Empty when the exec succeeded (the pipe closed on exec), else the errno.
    my $failed = '';
    1 while !defined sysread($exec_r, $failed, 4) && $!{EINTR};
    close $exec_r;
    $job->{pid} = $pid;
    $jobs{$pid} = $job;
    if (length($failed) == 4) {
        $job->{code} = unpack('N', $failed);
        $job->{failed} = 1;
        close $in_w if $flags & HAS_INPUT;
        close $out_r;
        close $err_r;
        return;
    }
    for ([$out_r, 'stdout'], [$err_r, 'stderr']) {
        my ($fh, $stream) = @$_;
        $reading{fileno $fh} = [$job, $stream, $fh];
        $job->{open}++;
    }
    if ($flags & HAS_INPUT) {
        $job->{input} = $input;
        $job->{in} = $in_w;
        set_nonblocking($in_w);
    }
}

sub set_nonblocking {
    my ($fh) = @_;
    my $flags = fcntl($fh, F_GETFL, 0);
    fcntl($fh, F_SETFL, $flags | O_NONBLOCK);
}

sub kill_job {
    my ($pid, $job) = @_;
    $job->{timed_out} = 1;
    delete $job->{left};
    kill $job->{group} ? '-KILL' : 'KILL', $pid;
}

# Reports a job once its process is reaped and both its pipes are at end of file.
sub finish_if_done {
    my ($pid) = @_;
    my $job = $jobs{$pid};
    return unless $job && exists $job->{status} && $job->{open} == 0;
    delete $jobs{$pid};
    if (!$job->{failed}) {
        my $status = $job->{status};
        # A wait status: the signal in its low 7 bits, else the exit code in the next 8.
        if ($status & 127) {
            $job->{how} = 1;
            $job->{code} = $status & 127;
        } else {
            $job->{how} = 0;
            $job->{code} = $status >> 8;
        }
    }
    reply($job);
}

sub reap {
    while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
        next unless $jobs{$pid};
        $jobs{$pid}{status} = $?;
        finish_if_done($pid);
    }
}

sub read_requests {
    my $n = sysread(STDIN, $requests, CHUNK, length $requests);
    return if !defined $n && ($!{EINTR} || $!{EAGAIN});
    exit 0 if !$n;    # cri-ts closed its end: it stopped or died
    while (length($requests) >= 4) {
        my $length = unpack('N', $requests);
        last if length($requests) < 4 + $length;
        my $payload = substr($requests, 4, $length);
        substr($requests, 0, 4 + $length, '');
        start_job($payload);
    }
}

while (1) {
    reap();
    my ($rin, $win) = ('', '');
    vec($rin, fileno(STDIN), 1) = 1;
    vec($rin, $_, 1) = 1 for keys %reading;
    my $timeout;
    for my $pid (keys %jobs) {
        my $job = $jobs{$pid};
        vec($win, fileno($job->{in}), 1) = 1 if $job->{in};
        $timeout = $job->{left} if defined $job->{left} && (!defined $timeout || $job->{left} < $timeout);
        $timeout = REAP_POLL if $job->{open} == 0 && !exists $job->{status} && (!defined $timeout || REAP_POLL < $timeout);
    }
    $timeout = 0 if defined $timeout && $timeout < 0;
    my ($found, $left) = select(my $rout = $rin, my $wout = $win, undef, $timeout);
    # Linux leaves the time not slept in select's timeout: what the deadlines count down by.
    my $slept = defined $timeout ? $timeout - ($left // 0) : 0;
    for my $pid (keys %jobs) {
        my $job = $jobs{$pid};
        next unless defined $job->{left};
        $job->{left} -= $slept;
        kill_job($pid, $job) if $job->{left} <= 0;
    }
    next if $found <= 0;
    read_requests() if vec($rout, fileno(STDIN), 1);
    for my $fd (keys %reading) {
        next unless vec($rout, $fd, 1);
        my ($job, $stream, $fh) = @{$reading{$fd}};
        my $n = sysread($fh, $job->{$stream}, CHUNK, length $job->{$stream});
        next if !defined $n && ($!{EINTR} || $!{EAGAIN});
        next if $n;
        delete $reading{$fd};
        close $fh;
        finish_if_done($job->{pid}) if --$job->{open} == 0;
    }
    for my $pid (keys %jobs) {
        my $job = $jobs{$pid};
        next unless $job->{in} && vec($wout, fileno($job->{in}), 1);
        my $n = syswrite($job->{in}, $job->{input});
        if (defined $n) {
            substr($job->{input}, 0, $n, '');
        } elsif (!$!{EAGAIN} && !$!{EINTR}) {
            $job->{input} = '';    # it exited without reading its input: not an error of ours
        }
        if ($job->{input} eq '') {
            close $job->{in};
            delete $job->{in};
        }
    }
}
