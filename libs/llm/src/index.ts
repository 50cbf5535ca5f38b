/**
 * @canopy/llm: language-model providers for `(llm-call ...)`: OpenAI-compatible chat completions
 * (the official `openai` package, so Ollama, vLLM and llama.cpp servers too) and Anthropic
 * (`@anthropic-ai/sdk`), streamed, configured by environment; and MCP tools for `(mcp-tool ...)`
 * (`@modelcontextprotocol/sdk`).
 */
export { DEFAULT_RETRIES, llmConfigFromEnv, PROVIDERS, type LlmConfig, type ProviderName } from './config';
export { createProvider, DEFAULT_MAX_TOKENS, providerFromEnv, type ProviderClients } from './providers';
export { MCP_ACTION_PREFIX, McpTools, mcpServersFromEnv, parseMcpServers, type McpServerConfig } from './mcp';
