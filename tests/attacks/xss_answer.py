"""A hand-graded markdown answer that would run script on the instructor's Jupyter origin."""
# %% pooling_question
The value should be 3. <script>alert("marker-xss-4242")</script>
<img src=x onerror="alert('marker-xss-onerror')"> [click](javascript:alert('marker-xss-link'))
