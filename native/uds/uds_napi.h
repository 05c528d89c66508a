#ifndef IPK_UDS_NAPI_H
#define IPK_UDS_NAPI_H
#include "../common/napi_util.h"
void ipk_uds_napi_init(napi_env env, napi_value exports);
#endif
