/* sanitizer.h - whether this is a sanitizer build (build-asan/ and
 * build-fuzz/, -Db_sanitize=address,undefined): SANITIZER_BUILD is defined
 * then, and only then.
 *
 * Such a build behaves differently on purpose in two places: buf.c takes
 * buffers from malloc, so that AddressSanitizer guards them, and
 * sandbox.c leaves the sanitizers' runtime what it needs (LeakSanitizer
 * reads /proc/self/task and ptraces the process at exit). gcc announces
 * AddressSanitizer with __SANITIZE_ADDRESS__, clang with
 * __has_feature(address_sanitizer); this header is the one place that
 * knows both. */
#ifndef DOCKGATE_SANITIZER_H
#define DOCKGATE_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#endif
