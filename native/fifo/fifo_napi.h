#ifndef IPK_FIFO_NAPI_H
#define IPK_FIFO_NAPI_H
#include "../common/napi_util.h"
#include <string.h>
void ipk_fifo_napi_init(napi_env env, napi_value exports);
#endif
