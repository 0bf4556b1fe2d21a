import type { JobDefinition } from "async-api";

/** What the job takes: a text, and how many of its most frequent words to list. */
export interface TextStatsInput {
  text: string;
  top?: number;
}

export interface TextStats {
  characters: number;
  words: number;
  distinctWords: number;
  /** The most frequent words, most frequent first (ties in alphabetical order). */
  topWords: { word: string; count: number }[];
}

export const textStatsSchema = {
  type: "object",
  required: ["text"],
  properties: {
    text: { type: "string", minLength: 1, maxLength: 200000, description: "The text to count." },
    top: { type: "integer", minimum: 1, maximum: 100, description: "How many frequent words to list (10 by default)." },
  },
};

export class EmptyText extends Error {
  constructor() {
    super("The text has no words.");
    this.name = "EmptyText";
  }
}

export const textStats: JobDefinition<TextStatsInput, TextStats> = {
  name: "text-stats",
  schema: textStatsSchema,
  async run(input) {
    const words = input.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    if (words.length === 0) throw new EmptyText();
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    const topWords = [...counts]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, input.top ?? 10)
      .map(([word, count]) => ({ word, count }));
    return { characters: input.text.length, words: words.length, distinctWords: counts.size, topWords };
  },
};
