; An LLM agent as a behavior tree (docs/agents.md): ask the model, run the tools it asked for (at
; once, one action per call), send the results back, repeat until it answers. A turn limit and the
; execution's token budget (llmBudget at create) guard it; another model takes over when the
; provider keeps failing.
;
;   $question        what to answer (required)
;   $fallbackModel   a model to try when the main one fails (optional; $fallbackProvider with it)
;
; The tools are the actions `search` and `calculate` of examples/agent/actions.js:
;   npx canopy run examples/agent/agent.lisp --actions examples/agent/actions.js --set question='"..."'

(tree "agent"
  (sequence
    ; Created here, in the execution scope, so every node below reads and writes the same keys.
    (set "chat" [])
    (set "calls" [])
    (set "results" {})
    (set "answer" "")
    (set "tools"
      [{:name "search"
        :description "Searches the web; answers a few short snippets."
        :parameters {:type "object" :properties {:query {:type "string"}} :required ["query"]}}
       {:name "calculate"
        :description "Applies + - * or / to two numbers."
        :parameters {:type "object"
                     :properties {:op {:type "string" :enum ["+" "-" "*" "/"]}
                                  :a {:type "number"}
                                  :b {:type "number"}}
                     :required ["op" "a" "b"]}}])
    (selector :name "answer or fall back"
      ; One turn: a model call; if it asked for tools, run them and fail the turn, so `retry` starts
      ; the next one (which sends the results back). At most six turns.
      (retry :name "turns" :times 6
        (sequence :name "turn"
          (llm-call :name "model"
            :prompt (if (= (len $chat) 0) $question nil)
            :system "You are a careful assistant. Use the tools when they help. Answer briefly."
            :conversation "chat"
            :tools $tools
            :tool-results $results
            :tool-calls-into "calls"
            :into "answer"
            :timeout-ms 120000
            :retries 1)
          (selector :name "answered?"
            (condition :name "no tool calls" (= (len $calls) 0))
            (sequence :name "tools"
              (set "results" {})
              ; Each call of the turn runs in its own copy of the body (up to four at once):
              ; `result` is local to the copy, `results` collects {call id: result}.
              (for-each :name "tool calls" :in $calls :as "call" :parallel 4
                (sequence :name "tool call"
                  (set "result" nil)
                  (selector :name "run the tool"
                    (sequence :name "search"
                      (condition (= $call/name "search"))
                      (action search :query $call/arguments/query :into "result"))
                    (sequence :name "calculate"
                      (condition (= $call/name "calculate"))
                      (action calculate
                        :op $call/arguments/op
                        :a $call/arguments/a
                        :b $call/arguments/b
                        :into "result"))
                    ; An unknown or failed tool answers its error: the model can correct itself.
                    (set "result" (str "error: " (or $result (str "no tool named " $call/name)))))
                  (set "results" (assoc $results $call/id $result))))
              (failure :name "next turn")))))
      (sequence :name "fallback model"
        (condition :name "has a fallback" (!= $fallbackModel nil))
        (llm-call :name "fallback"
          :prompt $question
          :provider $fallbackProvider
          :model $fallbackModel
          :into "answer"
          :timeout-ms 120000)))
    (log "answer" $answer)))
