"""Decide: the pure choice of the next action (`next_action.decide`) from the store and its observed
world. The actions are small values (`actions`); every reason shown to a user is a named template
(`messages`). Feeds `reconciler.act`."""
