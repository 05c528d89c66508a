/* Feature switches for the C core. Every file includes this first, so the
 * feature-test macros are set before any system header. */
#ifndef IPK_PLATFORM_H
#define IPK_PLATFORM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#if defined(__linux__)
#define IPK_LINUX 1
#else
#define IPK_LINUX 0
#endif

#if defined(__APPLE__)
#define IPK_APPLE 1
#else
#define IPK_APPLE 0
#endif

#endif
