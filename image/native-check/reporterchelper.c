/*
 * The native-image builder's progress reporter loads this JNI library from
 * <java.home>/lib/svm/builder/lib/ and calls its two native methods (class
 * com.oracle.svm.hosted.ProgressReporterCHelper): the terminal's width, for the
 * layout of its output, and the builder process's peak resident set size, which
 * it prints as "Peak RSS". A GraalVM or Mandrel distribution ships its own
 * build of it; image/native-check.sh compiles this one into the JDK overlay it
 * runs the builder from, since no package provides it.
 */
#include <jni.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Columns of the terminal on stdout, or 0 when it is not a terminal (the builder then uses its default). */
JNIEXPORT jint JNICALL Java_com_oracle_svm_hosted_ProgressReporterCHelper_getTerminalWindowColumns0(JNIEnv *env, jclass cls) {
    struct winsize w;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0) {
        return w.ws_col;
    }
    return 0;
}

/* Peak resident set size of this process in bytes (Linux reports ru_maxrss in KiB), or -1. */
JNIEXPORT jlong JNICALL Java_com_oracle_svm_hosted_ProgressReporterCHelper_getPeakRSS0(JNIEnv *env, jclass cls) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        return (jlong) usage.ru_maxrss * 1024;
    }
    return -1;
}
