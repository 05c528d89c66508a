{
  "targets": [
    {
      "target_name": "ipckit",
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='win'", {
          "sources": ["native/binding_win.c"]
        }, {
          "sources": [
            "native/binding.c",
            "native/common/napi_util.c",
            "native/common/fd.c",
            "native/common/env.c",
            "native/io/io.c",
            "native/io/handle_napi.c",
            "native/pipe/pipe.c",
            "native/pipe/pipe_napi.c",
            "native/fifo/fifo.c",
            "native/fifo/fifo_napi.c",
            "native/uds/uds.c",
            "native/uds/uds_napi.c",
            "native/signal/signal.c",
            "native/signal/signal_napi.c"
          ],
          "cflags": ["-std=gnu11", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
          "conditions": [
            ["OS=='linux'", {
              "libraries": ["-ldl"]
            }]
          ],
          "xcode_settings": {
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CFLAGS": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
          }
        }]
      ]
    }
  ]
}
