; A robot patrols its waypoints; a battery guard sends it to charge when it runs low.
; Run: npx canopy run examples/robot-patrol.lisp --ticks 40 --set battery=30

(tree "robot-patrol"
  (reactive-selector :id "root"
    (sequence :id "battery-guard"
      (condition (< (get "battery" 100) 20))
      (log "battery low, going to charge" $battery)
      (subtree "charge"))
    (sequence :id "patrol"
      ; Created in the execution scope: a key first set inside for-each would be loop-local.
      (set "visited" (get "visited" 0))
      (for-each :in ["dock" "hall" "lab" "yard"] :as "waypoint"
        (sequence
          (log "moving to" $waypoint)
          (wait :ms 200)
          (set "battery" (- (get "battery" 100) 5))
          (set "visited" (+ (get "visited" 0) 1))))
      (progress "patrol done" 100))))

(tree "charge"
  (sequence
    (wait :ms 300)
    (set "battery" 100)
    (log "charged")))
