"""The worked example's vocabulary: the math with its shapes, the words for each step, ready-made examples and the
article audit, typed-answer checks, a real model's q, k, v, and their figures.

Modules: ``sdpa`` (softmax(QKᵀ/√d_k)V keeping every intermediate), ``steps`` (title, prose and LaTeX per stage),
``cells`` (one cell written out as its sum), ``examples`` (presets, the audit, the √d_k experiment), ``answers``
(check a typed matrix), ``real_model`` (hooks q, k, v of a loaded encoder), ``figures`` (plotly).
The whole attention block (heads → concat → W_O, positions, GQA, KV cache, cross-attention): ``block`` (math),
``block_examples`` (toy presets), ``block_real_model`` (a real layer recomputed), ``block_figures`` (plotly).
"""
