; Deep research as a behavior tree (docs/agents.md): a planner splits the topic into subtopics, one
; researcher per subtopic works in parallel (search, then notes), a compressor keeps the key
; findings, a writer makes the report. Every model call streams into its key.
;
; Bounds: the plan is cut to six subtopics (`split-lines :max 6`), and up to six researchers run
; at once (`:parallel 6`); lower `:parallel` to run fewer at a time (the rest wait for a free one).
;
;   $topic   what to research (required)
;
;   npx canopy run examples/agent/deep-research.lisp --actions examples/agent/actions.js --set topic='"..."'

(tree "deep-research"
  (sequence
    (progress "plan" 5)
    (llm-call :name "planner"
      :prompt (str "Break this research topic into two to six subtopics, one per line, nothing else: " $topic)
      :into "plan")
    (action split-lines :text $plan :max 6 :into "subtopics")
    ; {subtopic: notes}, in the execution scope: every researcher adds its own.
    (set "notes" {})
    (progress "research" 20)
    (for-each :name "researchers" :in $subtopics :as "subtopic" :parallel 6
      (sequence :name "researcher"
        ; `sources` and `text` are first set in the researcher's copy: each has its own.
        (action search :query $subtopic :into "sources")
        (llm-call :name "notes"
          :prompt (str "Write research notes on " $subtopic " from these sources: " $sources)
          :into "text")
        (set "notes" (assoc $notes $subtopic $text))))
    (progress "compress" 70)
    (llm-call :name "compressor"
      :prompt (str "Compress these research notes (by subtopic) into the key findings, without repetition:\n"
                   $notes)
      :into "findings")
    (progress "report" 85)
    (llm-call :name "writer"
      :prompt (str "Write a short report on " $topic " from these findings:\n" $findings)
      :into "report")
    (progress "done" 100)))
