import { isMap, typeName } from '../../expr/values';
import type { LlmMessage, LlmTool, LlmToolCall } from '../../model/runtime';

/** `:tools`: a list of `{name, description?, parameters?}` maps; a message saying what is wrong otherwise. */
export function toolsOf(v: unknown): LlmTool[] | string {
  if (!Array.isArray(v)) return `:tools must be a list, got ${typeName(v)}`;
  const out: LlmTool[] = [];
  for (const [i, t] of v.entries()) {
    if (!isMap(t) || typeof t.name !== 'string' || t.name === '')
      return `:tools item ${i} must be a map with a :name string`;
    const tool: LlmTool = { name: t.name };
    if (typeof t.description === 'string') tool.description = t.description;
    if (isMap(t.parameters)) tool.parameters = t.parameters;
    out.push(tool);
  }
  return out;
}

/** What `:conversation` holds: a list of messages (nil: none yet); a message saying what is wrong otherwise. */
export function conversationOf(v: unknown): LlmMessage[] | string {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return `:conversation must hold a list, got ${typeName(v)}`;
  for (const [i, m] of v.entries()) {
    if (!isMap(m) || (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'tool') || typeof m.content !== 'string')
      return `:conversation item ${i} must be a map with :role "user", "assistant" or "tool" and a :content string`;
  }
  return v as LlmMessage[];
}

/**
 * Tool messages answering the tool calls of the conversation's last assistant message, from
 * `:tool-results`: a map from call id to result, or a list of `{id, result}` maps. A result that is
 * not a string is sent as JSON; a call without a result is answered "no result" (the APIs require
 * an answer to every call).
 */
export function toolMessages(conversation: readonly LlmMessage[], results: unknown): LlmMessage[] | string {
  const last = conversation[conversation.length - 1];
  const calls = last?.role === 'assistant' ? (last.toolCalls ?? []) : [];
  if (calls.length === 0) return [];
  const byId = resultsById(results);
  if (typeof byId === 'string') return byId;
  return calls.map((call) => ({
    role: 'tool' as const,
    toolCallId: call.id,
    content: byId.has(call.id) ? textOf(byId.get(call.id)) : 'no result',
  }));
}

function resultsById(results: unknown): Map<string, unknown> | string {
  if (results === undefined || results === null) return new Map();
  if (isMap(results)) return new Map(Object.entries(results));
  if (Array.isArray(results)) {
    const out = new Map<string, unknown>();
    for (const r of results) {
      if (!isMap(r) || typeof r.id !== 'string') return ':tool-results list items must be maps with an :id string';
      out.set(r.id, r.result);
    }
    return out;
  }
  return `:tool-results must be a map or a list, got ${typeName(results)}`;
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

/** The tool calls as the blackboard keeps them (plain JSON). */
export function toolCallsJson(calls: readonly LlmToolCall[] | undefined): LlmToolCall[] {
  return (calls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
}
