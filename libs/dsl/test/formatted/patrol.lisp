;; Patrol: the guard walks its waypoints and reacts to intruders.
; Second header line.

(tree "patrol" :main true
  (reactive-selector :id "top"
    ; Intruders take priority.
    (sequence :name "chase"
      (condition (and $intruder/seen (< $intruder/distance 10)))
      (action chase :target $intruder/id :speed 2.5))
    (for-each :in $waypoints :as "wp"
      (sequence
        (action move-to :goal $wp)
        (wait :ms 500)))))

; A helper tree, referenced as a subtree.
(tree "recharge"
  (memory-sequence
    (action dock)
    (wait :ms 2000)
    (set "global:battery" 100)))

;; end of file
