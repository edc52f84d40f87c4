;; A minimal wasm32-wasi plugin module for the walkthrough: it imports one WASI function, declares 1 page
;; (64 KiB) of memory and exports `run`. A real plugin is compiled from Rust (cargo build --target wasm32-wasip1).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "dns-enum: ok\n")
  (func (export "run") (result i32)
    ;; iovec at 0: pointer 8, length 13; write it to stdout (fd 1), bytes written at 24
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24)))
    (i32.const 0)))
