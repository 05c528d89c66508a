/* Windows: ipckit's local sockets use Node's own named-pipe support, and the
 * Unix-only primitives throw IPCKIT_UNSUPPORTED_PLATFORM from TypeScript, so
 * the native core has nothing to offer here yet. */
#include <node_api.h>

NAPI_MODULE_INIT() { return exports; }
