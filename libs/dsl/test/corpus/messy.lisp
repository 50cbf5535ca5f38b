(tree   "messy"(sequence(success)    (failure
)
	(log "tab	and \"quotes\" and \\ and\nnewline" 1 -0.25 1e3 +7 2.50)
     (condition (or (= $a "x") (!= $b nil) (contains [1 2 3] $c)))))   ; trailing remark
(tree "b" :main false (invert
 (force-failure (running))))
