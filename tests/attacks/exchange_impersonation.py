"""Another user puts a newer, blank folder named for `daemon` in the exchange, hoping that
`collect --update` replaces her submission with it (stock nbgrader only warns)."""
# %% exchange
owner=sync student=daemon later=yes
