; A team of players sharing two balls (a team-wide semaphore); each player picks what to do
; with a scoring-selector whose hysteresis keeps it from flip-flopping between options.
;   npx canopy run examples/team-players.lisp --ticks 30 --set energy=80 --set distance=12

(tree "team-players"
  (repeat :times -1
    (sequence
      (set "energy" (- (get "energy" 100) 3))
      (set "distance" (if (> (get "distance" 10) 0) (- (get "distance" 10) 1) 10))
      (scoring-selector :hysteresis 10
        (option (- 100 (get "energy" 100))
          (sequence :name "rest"
            (log "resting" $energy)
            (wait :ms 200)
            (set "energy" (+ (get "energy" 0) 30))))
        (option (* 5 (- 20 (get "distance" 10)))
          (semaphore :name "ball" :max 2
            (sequence :name "play"
              (log "playing with a ball" $distance)
              (wait :ms 300))))
        (option 40
          (log "watching the game"))))))
