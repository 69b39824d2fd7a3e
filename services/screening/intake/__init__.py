"""Taking what a feed sent: store each finding as a result, or hold it in the inbox."""
