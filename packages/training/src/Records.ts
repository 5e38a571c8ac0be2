import { Schema } from "effect"

/**
 * The record shapes real trainers read (SFT chat, DPO preference pairs, PRM steps, RL prompts). Every exported record is
 * validated against one of these before it is written.
 */
export const ChatMessage = Schema.Struct({
  role: Schema.Literal("system", "user", "assistant"),
  content: Schema.String
})
export type ChatMessage = typeof ChatMessage.Type

/** TRL SFT, conversational. */
export const SftMessages = Schema.Struct({ messages: Schema.Array(ChatMessage) })
export type SftMessages = typeof SftMessages.Type

/** TRL SFT, prompt-completion (standard, not conversational). */
export const SftPromptCompletion = Schema.Struct({ prompt: Schema.String, completion: Schema.String })
export type SftPromptCompletion = typeof SftPromptCompletion.Type

/** TRL PRMTrainer stepwise supervision: one label per completion step. */
export const TrlStepwise = Schema.Struct({
  prompt: Schema.String,
  completions: Schema.Array(Schema.String),
  labels: Schema.Array(Schema.Boolean)
}).pipe(Schema.filter((r) => r.completions.length === r.labels.length && r.completions.length > 0 || "one label per step"))
export type TrlStepwise = typeof TrlStepwise.Type

/** O1-CODER's PRM format: a step prefix with a hard ("positive"/"negative") or soft ([0,1]) label. */
export const O1CoderPrm = Schema.Struct({
  prompt: Schema.String,
  response: Schema.String,
  has_final_step: Schema.Boolean,
  label: Schema.Union(Schema.Literal("positive", "negative"), Schema.Number.pipe(Schema.between(0, 1)))
})
export type O1CoderPrm = typeof O1CoderPrm.Type

/** TRL preference (DPO, reward trainers), standard format. */
export const Preference = Schema.Struct({ prompt: Schema.String, chosen: Schema.String, rejected: Schema.String }).pipe(
  Schema.filter((r) => r.chosen !== r.rejected || "chosen and rejected must differ")
)
export type Preference = typeof Preference.Type

/** verl RL prompt row (parquet). */
export const VerlRow = Schema.Struct({
  data_source: Schema.String,
  prompt: Schema.Array(ChatMessage),
  ability: Schema.String,
  reward_model: Schema.Struct({ style: Schema.Literal("rule"), ground_truth: Schema.String }),
  extra_info: Schema.Struct({
    index: Schema.Number,
    split: Schema.String,
    problem_id: Schema.String,
    suite_id: Schema.String,
    entry_point: Schema.String
  })
})
export type VerlRow = typeof VerlRow.Type
