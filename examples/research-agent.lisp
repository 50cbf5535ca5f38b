; A research agent: for each question it queries several sources in parallel, then summarises.
; Actions are plain async functions; run with the example ones:
;   npx canopy run examples/research-agent.lisp --actions examples/actions.js

(tree "research-agent"
  (sequence
    (set "questions" ["what is a behavior tree?" "why tick-based?"])
    ; Created here, in the execution scope: a key first set inside for-each would be loop-local.
    (set "answered" 0)
    (progress "planned" 10)
    (for-each :in $questions :as "q"
      (sequence :name "research one question"
        (parallel :success 2 :failure 2
          (action search :source "papers" :query $q)
          (action search :source "web" :query $q)
          (retry :times 3
            (action search :source "forum" :query $q)))
        (action summarize :query $q)
        (set "answered" (+ (get "answered" 0) 1))))
    (progress "answered" 90)
    (log "done" $answered)
    (progress "done" 100)))
