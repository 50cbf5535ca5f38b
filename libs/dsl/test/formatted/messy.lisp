(tree "messy"
  (sequence
    (success)
    (failure)
    (log "tab\tand \"quotes\" and \\ and\nnewline" 1 -0.25 1000 7 2.5)
    (condition (or (= $a "x") (!= $b nil) (contains [1 2 3] $c)))))

; trailing remark
(tree "b" :main false
  (invert
    (force-failure
      (running))))
