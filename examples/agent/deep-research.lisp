; Deep research as a behavior tree (docs/agents.md): a planner splits the topic into three
; subtopics, three researchers work in parallel (search, then notes), a compressor keeps the key
; findings, a writer makes the report. Every model call streams into its key.
;
;   $topic   what to research (required)
;
;   npx canopy run examples/agent/deep-research.lisp --actions examples/agent/actions.js --set topic='"..."'

(tree "deep-research"
  (sequence
    (progress "plan" 5)
    (llm-call :name "planner"
      :prompt (str "Break this research topic into exactly three subtopics, one per line, nothing else: " $topic)
      :into "plan")
    (action split-lines :text $plan :max 3 :into "subtopics")
    (progress "research" 20)
    (parallel :name "researchers"
      (sequence :name "researcher 1"
        (action search :query (nth $subtopics 0) :into "sources1")
        (llm-call :prompt (str "Write research notes on " (nth $subtopics 0) " from these sources: " $sources1)
          :into "notes1"))
      (sequence :name "researcher 2"
        (action search :query (nth $subtopics 1) :into "sources2")
        (llm-call :prompt (str "Write research notes on " (nth $subtopics 1) " from these sources: " $sources2)
          :into "notes2"))
      (sequence :name "researcher 3"
        (action search :query (nth $subtopics 2) :into "sources3")
        (llm-call :prompt (str "Write research notes on " (nth $subtopics 2) " from these sources: " $sources3)
          :into "notes3")))
    (progress "compress" 70)
    (llm-call :name "compressor"
      :prompt (str "Compress these research notes into the key findings, without repetition:\n"
                   $notes1 "\n" $notes2 "\n" $notes3)
      :into "findings")
    (progress "report" 85)
    (llm-call :name "writer"
      :prompt (str "Write a short report on " $topic " from these findings:\n" $findings)
      :into "report")
    (progress "done" 100)))
