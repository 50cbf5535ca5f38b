(tree "choose"
  ; Pick the most urgent need; keep the current one unless another is clearly better.
  (scoring-selector :hysteresis 0.2
    ; Hunger grows over time.
    (option (* $hunger 1.5) (action eat))
    (option $fatigue (action sleep))
    (option 0.1 (action wander))))
