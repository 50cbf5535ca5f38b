(tree "crlf"
  ; windows
  (sequence
    (success)))
