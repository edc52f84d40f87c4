;; The walkthrough's plugin: a wasm32-wasi module that honours the job contract (SPEC §8), written by hand in
;; WAT so that the walkthrough needs no Rust toolchain. A real plugin is compiled from Rust with the plugin SDK
;; (cargo build --target wasm32-wasip1), which parses the request properly.
;;
;; It reads the stdin object {"job_id","plugin_name","version","target","config","scope_id"}, and writes
;; {"job_id": <the same>, "success": true, "output_json": {"subdomains": []}, "cache_key": <key>} where key is
;; BLAKE3("dns-enum" || "0.1.0" || config || scope_id) in lowercase hex. Simplifications of this example:
;;   - the config text is hashed as it arrives, so the key is right only when the config is given in canonical
;;     form (no whitespace, keys sorted, as `aurion-plugin cache-key` prints it);
;;   - the scope id must hold no JSON escape, and the hashed input must fit one BLAKE3 chunk (1024 bytes);
;;   - it finds the fields by the order in which `aurion-plugin run` writes them.
;; Otherwise it returns 1 (a failure), never a wrong answer. It does no DNS: there is no network in the sandbox.
;;
;; Memory: 64 IV | 128 message permutation | 192 state S[16] | 256 message M[16] | 320 scratch T[16]
;;         384 chaining value CV[8] | 416 hex digits | 512 hash input (1024 bytes + zero padding)
;;         1664 hex key | 4096 constant strings | 8192 stdin (up to 56 KiB)
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "\67\e6\09\6a\85\ae\67\bb\72\f3\6e\3c\3a\f5\4f\a5\7f\52\0e\51\8c\68\05\9b\ab\d9\83\1f\19\cd\e0\5b")
  (data (i32.const 128) "\02\06\03\0a\07\00\04\0d\01\0b\0c\05\09\0e\0f\08")
  (data (i32.const 416) "0123456789abcdef")
  (data (i32.const 4096) "dns-enum")
  (data (i32.const 4104) "0.1.0")
  (data (i32.const 4112) ",\"config\":")
  (data (i32.const 4128) ",\"scope_id\":\"")
  (data (i32.const 4144) "{\"job_id\":")
  (data (i32.const 4160) ",\"success\":true,\"output_json\":{\"subdomains\":[]},\"cache_key\":\"")
  (data (i32.const 4224) "\"}\n")

  ;; fd_write(1) of one piece
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; all of stdin at 8192; returns its length
  (func $read_stdin (result i32)
    (local $total i32)
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $total) (i32.const 57344)))
        (i32.store (i32.const 16) (i32.add (i32.const 8192) (local.get $total)))
        (i32.store (i32.const 20) (i32.sub (i32.const 57344) (local.get $total)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (br_if $done (i32.eqz (i32.load (i32.const 24))))
        (local.set $total (i32.add (local.get $total) (i32.load (i32.const 24))))
        (br $more)))
    (local.get $total))

  ;; 1 when the len bytes at a equal those at b
  (func $equal (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $differ
      (loop $next
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func $copy (param $to i32) (param $from i32) (param $len i32)
    (memory.copy (local.get $to) (local.get $from) (local.get $len)))

  ;; BLAKE3's quarter-round G on state words at byte addresses a, b, c, d with message words x, y
  (func $g (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $x i32) (param $y i32)
    (i32.store (local.get $a) (i32.add (i32.add (i32.load (local.get $a)) (i32.load (local.get $b))) (local.get $x)))
    (i32.store (local.get $d) (i32.rotr (i32.xor (i32.load (local.get $d)) (i32.load (local.get $a))) (i32.const 16)))
    (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.load (local.get $d))))
    (i32.store (local.get $b) (i32.rotr (i32.xor (i32.load (local.get $b)) (i32.load (local.get $c))) (i32.const 12)))
    (i32.store (local.get $a) (i32.add (i32.add (i32.load (local.get $a)) (i32.load (local.get $b))) (local.get $y)))
    (i32.store (local.get $d) (i32.rotr (i32.xor (i32.load (local.get $d)) (i32.load (local.get $a))) (i32.const 8)))
    (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.load (local.get $d))))
    (i32.store (local.get $b) (i32.rotr (i32.xor (i32.load (local.get $b)) (i32.load (local.get $c))) (i32.const 7))))

  ;; one round: columns, then diagonals; then the message words are permuted for the next round
  (func $round
    (local $i i32)
    (call $g (i32.const 192) (i32.const 208) (i32.const 224) (i32.const 240) (i32.load (i32.const 256)) (i32.load (i32.const 260)))
    (call $g (i32.const 196) (i32.const 212) (i32.const 228) (i32.const 244) (i32.load (i32.const 264)) (i32.load (i32.const 268)))
    (call $g (i32.const 200) (i32.const 216) (i32.const 232) (i32.const 248) (i32.load (i32.const 272)) (i32.load (i32.const 276)))
    (call $g (i32.const 204) (i32.const 220) (i32.const 236) (i32.const 252) (i32.load (i32.const 280)) (i32.load (i32.const 284)))
    (call $g (i32.const 192) (i32.const 212) (i32.const 232) (i32.const 252) (i32.load (i32.const 288)) (i32.load (i32.const 292)))
    (call $g (i32.const 196) (i32.const 216) (i32.const 236) (i32.const 240) (i32.load (i32.const 296)) (i32.load (i32.const 300)))
    (call $g (i32.const 200) (i32.const 220) (i32.const 224) (i32.const 244) (i32.load (i32.const 304)) (i32.load (i32.const 308)))
    (call $g (i32.const 204) (i32.const 208) (i32.const 228) (i32.const 248) (i32.load (i32.const 312)) (i32.load (i32.const 316)))
    (loop $perm
      (i32.store
        (i32.add (i32.const 320) (i32.shl (local.get $i) (i32.const 2)))
        (i32.load (i32.add (i32.const 256) (i32.shl (i32.load8_u (i32.add (i32.const 128) (local.get $i))) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $perm (i32.lt_u (local.get $i) (i32.const 16))))
    (call $copy (i32.const 256) (i32.const 320) (i32.const 64)))

  ;; compresses the 64-byte block at addr into CV (chunk counter 0: the input is one chunk)
  (func $compress (param $block i32) (param $len i32) (param $flags i32)
    (local $i i32)
    (call $copy (i32.const 192) (i32.const 384) (i32.const 32))
    (call $copy (i32.const 224) (i32.const 64) (i32.const 16))
    (i64.store (i32.const 240) (i64.const 0))
    (i32.store (i32.const 248) (local.get $len))
    (i32.store (i32.const 252) (local.get $flags))
    (call $copy (i32.const 256) (local.get $block) (i32.const 64))
    (loop $rounds
      (call $round)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $i) (i32.const 7))))
    (local.set $i (i32.const 0))
    (loop $out
      (i32.store
        (i32.add (i32.const 384) (local.get $i))
        (i32.xor (i32.load (i32.add (i32.const 192) (local.get $i))) (i32.load (i32.add (i32.const 224) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $out (i32.lt_u (local.get $i) (i32.const 32)))))

  ;; BLAKE3 of the len (<= 1024) bytes at 512, zero-padded; the digest as 64 hex digits at 1664
  (func $blake3 (param $len i32)
    (local $blocks i32) (local $b i32) (local $rest i32) (local $flags i32) (local $i i32) (local $byte i32)
    (call $copy (i32.const 384) (i32.const 64) (i32.const 32))
    (local.set $blocks (i32.shr_u (i32.add (local.get $len) (i32.const 63)) (i32.const 6)))
    (if (i32.eqz (local.get $blocks)) (then (local.set $blocks (i32.const 1))))
    (loop $each
      (local.set $rest (i32.sub (local.get $len) (i32.shl (local.get $b) (i32.const 6))))
      (local.set $flags (i32.const 0))
      (if (i32.eqz (local.get $b)) (then (local.set $flags (i32.const 1))))
      (if (i32.eq (local.get $b) (i32.sub (local.get $blocks) (i32.const 1)))
        (then (local.set $flags (i32.or (local.get $flags) (i32.const 10)))))
      (call $compress
        (i32.add (i32.const 512) (i32.shl (local.get $b) (i32.const 6)))
        (select (i32.const 64) (local.get $rest) (i32.gt_s (local.get $rest) (i32.const 64)))
        (local.get $flags))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $b) (local.get $blocks))))
    (loop $hex
      (local.set $byte (i32.load8_u (i32.add (i32.const 384) (local.get $i))))
      (i32.store8 (i32.add (i32.const 1664) (i32.shl (local.get $i) (i32.const 1)))
        (i32.load8_u (i32.add (i32.const 416) (i32.shr_u (local.get $byte) (i32.const 4)))))
      (i32.store8 (i32.add (i32.const 1665) (i32.shl (local.get $i) (i32.const 1)))
        (i32.load8_u (i32.add (i32.const 416) (i32.and (local.get $byte) (i32.const 15)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hex (i32.lt_u (local.get $i) (i32.const 32)))))

  (func (export "run") (result i32)
    (local $end i32) (local $p i32) (local $idEnd i32) (local $config i32) (local $scope i32) (local $len i32)
    (local.set $end (i32.add (i32.const 8192) (call $read_stdin)))
    ;; {"job_id":"...": the id's JSON string ends at the first quote that no backslash escapes
    (if (i32.eqz (call $equal (i32.const 8192) (i32.const 4144) (i32.const 10))) (then (return (i32.const 1))))
    (local.set $p (i32.const 8203))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 92))
          (then (local.set $p (i32.add (local.get $p) (i32.const 2))) (br $scan)))
        (br_if $found (i32.eq (i32.load8_u (local.get $p)) (i32.const 34)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 1))))
    (local.set $idEnd (i32.add (local.get $p) (i32.const 1)))
    ;; ,"config": first (a quote inside a string is escaped, so the text cannot occur there) ...
    (block $found
      (loop $scan
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 10)) (local.get $end)) (then (return (i32.const 1))))
        (br_if $found (call $equal (local.get $p) (i32.const 4112) (i32.const 10)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (local.set $config (i32.add (local.get $p) (i32.const 10)))
    ;; ... and ,"scope_id":" last (the config may hold that key; the scope id, a string, cannot)
    (local.set $p (i32.sub (local.get $end) (i32.const 13)))
    (block $found
      (loop $scan
        (if (i32.lt_s (local.get $p) (local.get $config)) (then (return (i32.const 1))))
        (br_if $found (call $equal (local.get $p) (i32.const 4128) (i32.const 13)))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (br $scan)))
    (local.set $scope (i32.add (local.get $p) (i32.const 13)))
    ;; the object ends with "}: the scope id is what lies between
    (if (i32.eqz (call $equal (i32.sub (local.get $end) (i32.const 2)) (i32.const 4224) (i32.const 2)))
      (then (return (i32.const 1))))
    (local.set $len (i32.sub (i32.sub (local.get $end) (i32.const 2)) (local.get $scope)))
    (local.set $p (local.get $scope))
    (loop $escapes
      (if (i32.lt_u (local.get $p) (i32.sub (local.get $end) (i32.const 2)))
        (then
          (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 92)) (then (return (i32.const 1))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $escapes))))
    ;; hash input: name || version || config || scope id
    (if (i32.gt_u
          (i32.add (i32.const 13) (i32.add (local.get $len) (i32.sub (i32.sub (local.get $scope) (i32.const 13)) (local.get $config))))
          (i32.const 1024))
      (then (return (i32.const 1))))
    (call $copy (i32.const 512) (i32.const 4096) (i32.const 13))
    (local.set $p (i32.sub (i32.sub (local.get $scope) (i32.const 13)) (local.get $config)))
    (call $copy (i32.const 525) (local.get $config) (local.get $p))
    (call $copy (i32.add (i32.const 525) (local.get $p)) (local.get $scope) (local.get $len))
    (call $blake3 (i32.add (i32.const 13) (i32.add (local.get $p) (local.get $len))))
    ;; the answer
    (call $write (i32.const 4144) (i32.const 10))
    (call $write (i32.const 8202) (i32.sub (local.get $idEnd) (i32.const 8202)))
    (call $write (i32.const 4160) (i32.const 61))
    (call $write (i32.const 1664) (i32.const 64))
    (call $write (i32.const 4224) (i32.const 3))
    (i32.const 0)))
