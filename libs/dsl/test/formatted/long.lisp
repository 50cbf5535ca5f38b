(tree "long"
  (sequence
    (llm-call
      :prompt (str "You are a careful planner. Summarize the following report in three sentences: " $report)
      :into "team:summary"
      :model "small"
      :max-tokens 256
      :timeout-ms 30000
      :retries 2)
    (action a-very-long-action-name-to-force-breaking
      :first-argument "some value"
      :second-argument [1 2 3 4 5 6 7 8 9])
    (guard (and (> $battery 20) (not $paused) (contains $allowed-zones $zone) (< (len $queue) 100) (>= (now) $start))
      (success))
    (parallel
      :id "par-with-a-long-identifier-to-push-it-past-the-limit-of-one-hundred-columns-x"
      :success 2
      :failure 2
      (success)
      (success))))
