(tree "decorators"
  (sequence
    (repeat :times 3
      (retry :times 2
        (action flaky)))
    (until-success
      (action poll))
    (until-failure
      (condition $ok))
    (timeout :ms 1000
      (delay :ms 10
        (cooldown :ms 100
          (run-once
            (success)))))
    (semaphore :name "charger" :max 1
      (subtree "charge" :level 80))
    (progress "done" 100)
    (unset "exec:scratch")))

(tree "charge"
  (action charge :to $level))
