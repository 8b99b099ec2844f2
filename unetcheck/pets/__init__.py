"""What the Oxford-IIIT Pet data is, in NumPy alone: splits, trimap labels and the rule for a
valid trimap, the tutorial's preprocessing, and the embedded synthetic pets.

Shared by the reference pipeline and by the checks other teams import, so it imports no
framework.
"""
