#ifndef IPK_PIPE_NAPI_H
#define IPK_PIPE_NAPI_H
#include "../common/napi_util.h"
void ipk_pipe_napi_init(napi_env env, napi_value exports);
#endif
