"""The language engine on OpenAI-compatible endpoints (OpenAI, Azure OpenAI, local servers)."""

from bot.clients.llm.openai_engine import OpenAIConfig, OpenAIEngine

__all__ = ["OpenAIConfig", "OpenAIEngine"]
