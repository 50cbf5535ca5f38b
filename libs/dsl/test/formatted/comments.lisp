; file header
;; section

(tree "c"
  ; after the name
  ; before root
  (sequence
    ;
    ;   indented text
    ;;; triple
    (success)
    ; end of line
    ; before the last child
    (failure)))

; after the last child
; between trees
(tree "d"
  (success))

; trailing 1
; trailing 2
