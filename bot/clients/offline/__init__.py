"""The parts of the offline language engine (`bot.clients.offline_engine.OfflineEngine`):
figures and labels, answers, post templates."""
