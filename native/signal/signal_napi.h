#ifndef IPK_SIGNAL_NAPI_H
#define IPK_SIGNAL_NAPI_H
#include "../common/napi_util.h"
void ipk_signal_napi_init(napi_env env, napi_value exports);
#endif
