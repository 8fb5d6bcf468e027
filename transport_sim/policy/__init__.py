"""Policy: stock turnover year by year (retirements, phase-outs, purchases), freight split."""
