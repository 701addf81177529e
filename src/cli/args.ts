/**
 * Command-line parsing and validation: pure functions (no files, no GPU), so every
 * rule is unit-tested. Each parse function takes the arguments after the command
 * name and returns plain options, or throws UsageError with one line naming the
 * flag, the allowed range and the value given.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MAX_HIDDEN, type ModelConfig, type Schedule, type TrainConfig } from '../model/config.ts';
import {
  DEFAULT_PRIME,
  DEFAULT_SAMPLE_LENGTH,
  DEFAULT_TEMPERATURES,
  NOTEBOOK_SETTINGS,
  NUMBER_SETTINGS,
  SETTINGS_PRESETS,
  SettingsError,
  TRAINING_SAMPLE,
  parseNumberSetting,
  parseSchedule as parseScheduleSetting,
  parseTemperatures as parseTemperatureSetting,
  type NumberSetting,
  type RunSettings,
} from '../run/settings.ts';
import type { EngineChoice } from '../engine/contract.ts';
import { UsageError } from './errors.ts';

const COMMANDS = ['train', 'sample', 'eval', 'bench'] as const;
export type Command = (typeof COMMANDS)[number];

const ENGINES: readonly EngineChoice[] = ['auto', 'gpu', 'cpu'];

const DEFAULT_LOG_EVERY = 100;

const RUN = (c: Command) => `npm run ${c} --`;

/** A settings preset in one line of the usage text: "novel: E 64, H 256, 2 layers, 32 streams × 64, lr 0.002 (decay 0.9998), 5000 steps". */
function presetLine(id: string): string {
  const p = SETTINGS_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`no settings preset ${id}`);
  const t = p.settings.train;
  return `${id}: ${p.description.replace(/^.*?: /, '')},\n                         lr ${t.lr} (decay ${t.lrDecay}), ${p.settings.steps} steps`;
}

export const USAGE: Record<Command | 'main', string> = {
  main: `char-lm: a character-level LSTM language model on WebGPU (Dawn) or the CPU

usage: npm run <command> -- [flags]      (node --import tsx --import ./src/cli/register-wgsl.mjs src/cli/main.ts <command> [flags])

commands:
  train    train a model on a text file (default: the notebook's passage and configuration)
  sample   generate text from a checkpoint
  eval     loss of a checkpoint on a text, in nats and bits per character
  bench    throughput figures for the chosen engine

Each command takes --help. Every command takes --engine auto|gpu|cpu (default auto: the GPU
through Dawn when it finds a hardware adapter, else the CPU reference engine).`,
  train: `usage: ${RUN('train')} [flags]

With no flags: the notebook's configuration (E 32, H 128, L 1, B 1, T 40, Adam lr 0.005,
clip 5, random windows) for 1000 steps on data/notebook-passage.txt.

  --settings NAME        start from a settings preset, as the page's Settings menu does:
                         ${SETTINGS_PRESETS.map((p) => p.id).join(' or ')} (default notebook); the flags below override it.
                         ${presetLine('novel')}
  --corpus FILE          UTF-8 text to train on (default: data/notebook-passage.txt; when
                         resuming, the text the checkpoint was trained on: its file, or the
                         built-in text of that name for a file saved by the page)
  --embed N              embedding width E (default 32)
  --hidden N             hidden size H, 1..${MAX_HIDDEN} (default 128)
  --layers N             LSTM layers L, 1..16 (default 1)
  --batch N              streams per batch B (default 1)
  --seq-len N            truncated-BPTT length T (default 40)
  --lr X                 Adam learning rate (default 0.005)
  --lr-decay X           learning-rate decay per step, (0, 1] (default 1 = none)
  --clip X               global gradient-norm clip, 0 = off (default 5)
  --schedule S           streams (contiguous streams, state carried) or windows (random
                         windows from zero state, the notebook's; default)
  --seed N               seed for initialisation and batching (default 42)
  --steps N              training steps to run (default 1000; with --resume: steps to add)
  --out FILE             write a training-state checkpoint (.safetensors: model tensors with
                         PyTorch names + Adam moments + data cursor) at the end
  --checkpoint-every N   also write --out every N steps while training (each write replaces
                         the last, through a temporary file), 0 = only at the end (default 0)
  --export FILE          also write a model-only .safetensors file (load_state_dict as is)
  --resume FILE          continue from a checkpoint written by --out: parameters, Adam moments,
                         step, data cursor and carried state; model and data flags must match
                         the checkpoint or be left out (--lr, --lr-decay, --clip may change)
  --sample-every N       print a sample ("${TRAINING_SAMPLE.prime}", ${TRAINING_SAMPLE.length} characters, temperature ${TRAINING_SAMPLE.temperature}) every N
                         steps, 0 = never (default ${NOTEBOOK_SETTINGS.sampleEvery})
  --val-every N          print the validation loss (its first 8,193 characters) every N steps,
                         0 = never (default ${NOTEBOOK_SETTINGS.valEvery}; corpora over 10,000 characters)
  --loss-log FILE        write every step's loss and gradient norm as CSV at the end
  --log-every N          when stdout is not a terminal, print a progress line every N steps
                         (default 100)
  --engine E             auto, gpu or cpu (default auto)
  --help                 this text`,
  sample: `usage: ${RUN('sample')} --model FILE [flags]

  --model FILE           checkpoint (.safetensors) written by train --out or --export
  --prime TEXT           text to start from, made of the model's characters (default "${DEFAULT_PRIME}")
  --length N             characters to generate (default 120)
  --temperature LIST     comma-separated temperatures, 0 = greedy (default 0.5,1.0,1.5)
  --top-k N              keep the N most likely characters, 0 = off (default 0)
  --top-p X              keep the smallest set with probability ≥ X, 1 = off (default 1)
  --seed N               seed of the draws; the same seed gives the same text (default 0)
  --engine E             auto, gpu or cpu (default auto)
  --help                 this text`,
  eval: `usage: ${RUN('eval')} --model FILE --text FILE [flags]

Prints the mean loss of predicting every character of the text after the first, from zero
state: loss: <nats> nats/char, <bits> bits/char.

  --model FILE           checkpoint (.safetensors)
  --text FILE            UTF-8 text made of the model's characters
  --engine E             auto, gpu or cpu (default auto)
  --help                 this text`,
  bench: `usage: ${RUN('bench')} [flags]

Prints figures (never asserts) for notebook, small, medium and large. On the GPU engine
(Dawn on a hardware adapter) the same record as the browser bench: chars/s (median and
spread), ms/step, the first step (compilation), dispatches/step against the budget, GFLOP/s
from the exact FLOP count, GPU memory, the matmul kernel's throughput at the step's GEMM
shapes, sampling chars/s (3 temperatures × 500 characters). On the CPU engine: ms/step,
chars/s and sampling chars/s, shrinking or skipping what would take too long.

  --steps N              timed training steps per configuration (default 20 on the CPU;
                         each configuration's own count on the GPU)
  --engine E             auto, gpu or cpu (default auto)
  --profile              per-kernel GPU times (timestamp-query where Dawn offers it)
  --record               write the GPU figures into BENCHMARKS.md (the record of this adapter)
  --parity               instead of the figures: whole training steps on the GPU against the
                         float64 CPU reference at the tests' tolerance; exit 1 when they disagree
  --notebook-run         instead of the figures: the notebook run (1,000 steps, notebook settings)
                         and the loss on the whole passage; exit 1 when it is not < 0.3 nats/char
  --help                 this text`,
};

// ---------------------------------------------------------------------------
// Values

function show(raw: string): string {
  return JSON.stringify(raw);
}

/** Runs a settings parser; its SettingsError becomes the CLI's UsageError (exit code 2). */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof SettingsError) throw new UsageError(e.message);
    throw e;
  }
}

/** A numeric flag, checked against its setting's limits (shared with the page). */
function flag(spec: NumberSetting, raw: string): number {
  return asUsage(() => parseNumberSetting(spec, raw, 'flag'));
}

/** An integer flag in [min, max]; only plain decimal digits are accepted. */
export function parseIntFlag(name: string, raw: string, min: number, max: number): number {
  return flag({ flag: name, label: name, integer: true, min, max, help: '' }, raw);
}

/** A number flag in [min, max] (or (min, max] when minExclusive). */
export function parseNumFlag(name: string, raw: string, min: number, max: number, minExclusive = false): number {
  return flag({ flag: name, label: name, integer: false, min, max, minExclusive, help: '' }, raw);
}

function parseEngine(raw: string | undefined): EngineChoice {
  if (raw === undefined) return 'auto';
  if ((ENGINES as readonly string[]).includes(raw)) return raw as EngineChoice;
  throw new UsageError(`--engine must be auto, gpu or cpu, got ${show(raw)}`);
}

function parseSchedule(raw: string): Schedule {
  return asUsage(() => parseScheduleSetting(raw, 'flag'));
}

/** "0.5,1.0,1.5" → [0.5, 1, 1.5]. */
export function parseTemperatures(raw: string): number[] {
  return asUsage(() => parseTemperatureSetting(raw, 'flag'));
}

function requireFile(flag: string, raw: string | undefined, command: Command): string {
  if (raw === undefined) throw new UsageError(`${command} needs --${flag} FILE; see ${RUN(command)} --help`);
  if (raw.trim() === '') throw new UsageError(`--${flag} needs a file name, got ""`);
  return raw;
}

function optionalFile(flag: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (raw.trim() === '') throw new UsageError(`--${flag} needs a file name, got ""`);
  return raw;
}

// ---------------------------------------------------------------------------
// parseArgs with one-line errors

type Options = NonNullable<ParseArgsConfig['options']>;

function stringOptions(names: string[], switches: string[] = []): Options {
  const o: Options = { help: { type: 'boolean', short: 'h' } };
  for (const n of names) o[n] = { type: 'string' };
  for (const n of switches) o[n] = { type: 'boolean' };
  return o;
}

/** Runs node:util parseArgs (strict, no positionals) and maps its errors to one line. */
function parseFlags(
  command: Command,
  argv: string[],
  names: string[],
  switches: string[] = [],
): { values: Record<string, string | undefined>; help: boolean; on: Set<string> } {
  const options = stringOptions(names, switches);
  let values: Record<string, string | boolean | undefined>;
  let tokens: { kind: string; name?: string; value?: string }[];
  try {
    ({ values, tokens } = parseArgs({ args: argv, options, strict: true, allowPositionals: false, tokens: true }) as {
      values: Record<string, string | boolean | undefined>;
      tokens: { kind: string; name?: string; value?: string }[];
    });
  } catch (e) {
    throw new UsageError(describeParseError(command, e as Error & { code?: string }));
  }
  // A flag given twice would silently take the last value: which one was meant is not ours to guess.
  const given = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined || t.name === 'help') continue;
    if (given.has(t.name)) {
      throw new UsageError(`--${t.name} is given twice (${show(given.get(t.name) ?? '')} and ${show(t.value ?? '')}); give it once`);
    }
    given.set(t.name, t.value);
  }
  const help = values.help === true;
  const out: Record<string, string | undefined> = {};
  for (const n of names) out[n] = values[n] as string | undefined;
  return { values: out, help, on: new Set(switches.filter((n) => values[n] === true)) };
}

function describeParseError(command: Command, e: Error & { code?: string }): string {
  const msg = e.message;
  const seeHelp = `see ${RUN(command)} --help`;
  let m: RegExpMatchArray | null;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      m = msg.match(/Unknown option '([^']*)'/);
      return `unknown flag ${m ? m[1] : ''} for ${command}; ${seeHelp}`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      m = msg.match(/Unexpected argument '([^']*)'/);
      return `unexpected argument ${m ? show(m[1]) : ''}: ${command} takes only --flags; ${seeHelp}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if ((m = msg.match(/Option '(?:-\w, )?(-[^' ]*)[^']*' argument missing/))) return `${m[1]} needs a value; ${seeHelp}`;
      if ((m = msg.match(/Option '(?:-\w, )?(-[^' ]*)' argument is ambiguous/))) {
        return `${m[1]} is followed by something that looks like a flag; to give a value starting with "-" write ${m[1]}=VALUE`;
      }
      if ((m = msg.match(/Option '(?:-\w, )?(-[^' ]*)' does not take an argument/))) return `${m[1]} does not take a value`;
      return `${msg.split('\n')[0]}; ${seeHelp}`;
    default:
      return `${msg.split('\n')[0]}; ${seeHelp}`;
  }
}

// ---------------------------------------------------------------------------
// Commands

export interface TrainArgs {
  help: boolean;
  /** null: the default corpus (or, when resuming, the checkpoint's). */
  corpus: string | null;
  /** The preset a fresh run starts from (--settings; the notebook's by default). */
  base: RunSettings;
  /** Only the model flags given. */
  model: Partial<Omit<ModelConfig, 'vocabSize'>>;
  /** Only the training flags given. */
  train: Partial<Pick<TrainConfig, 'batch' | 'seqLen' | 'lr' | 'lrDecay' | 'clip' | 'schedule' | 'seed'>>;
  steps: number;
  out: string | null;
  /** Write --out every N steps while training (0: only at the end). */
  checkpointEvery: number;
  exportPath: string | null;
  resume: string | null;
  sampleEvery: number;
  valEvery: number;
  logEvery: number;
  /** A CSV file of every step's loss and gradient norm (full precision), written at the end. */
  lossLog: string | null;
  engine: EngineChoice;
}

const TRAIN_FLAGS = [
  'settings',
  'corpus',
  'embed',
  'hidden',
  'layers',
  'batch',
  'seq-len',
  'lr',
  'lr-decay',
  'clip',
  'schedule',
  'seed',
  'steps',
  'out',
  'checkpoint-every',
  'export',
  'resume',
  'sample-every',
  'val-every',
  'log-every',
  'loss-log',
  'engine',
];

export function parseTrainArgs(argv: string[]): TrainArgs {
  const { values: v, help } = parseFlags('train', argv, TRAIN_FLAGS);
  if (help) {
    return {
      help,
      base: NOTEBOOK_SETTINGS,
      corpus: null,
      model: {},
      train: {},
      steps: 0,
      out: null,
      checkpointEvery: 0,
      exportPath: null,
      resume: null,
      sampleEvery: 0,
      valEvery: 0,
      logEvery: 1,
      lossLog: null,
      engine: 'auto',
    };
  }
  const base = parsePreset(v.settings);
  if (v.settings !== undefined && v.resume !== undefined) {
    throw new UsageError(`--settings ${v.settings} chooses a fresh run's settings; a resumed run keeps its checkpoint's: leave --settings out`);
  }
  const model: TrainArgs['model'] = {};
  const train: TrainArgs['train'] = {};
  if (v.embed !== undefined) model.embedSize = flag(NUMBER_SETTINGS.embedSize, v.embed);
  if (v.hidden !== undefined) model.hiddenSize = flag(NUMBER_SETTINGS.hiddenSize, v.hidden);
  if (v.layers !== undefined) model.layers = flag(NUMBER_SETTINGS.layers, v.layers);
  if (v.batch !== undefined) train.batch = flag(NUMBER_SETTINGS.batch, v.batch);
  if (v['seq-len'] !== undefined) train.seqLen = flag(NUMBER_SETTINGS.seqLen, v['seq-len']);
  if (v.lr !== undefined) train.lr = flag(NUMBER_SETTINGS.lr, v.lr);
  if (v['lr-decay'] !== undefined) train.lrDecay = flag(NUMBER_SETTINGS.lrDecay, v['lr-decay']);
  if (v.clip !== undefined) train.clip = flag(NUMBER_SETTINGS.clip, v.clip);
  if (v.schedule !== undefined) train.schedule = parseSchedule(v.schedule);
  if (v.seed !== undefined) train.seed = flag(NUMBER_SETTINGS.seed, v.seed);
  const out = optionalFile('out', v.out);
  const exportPath = optionalFile('export', v.export);
  const resume = optionalFile('resume', v.resume);
  if (out !== null && exportPath !== null && out === exportPath) {
    throw new UsageError(`--out and --export name the same file ${show(out)}; give them different names`);
  }
  const checkpointEvery = v['checkpoint-every'] === undefined ? 0 : parseIntFlag('checkpoint-every', v['checkpoint-every'], 0, 100_000_000);
  if (checkpointEvery > 0 && out === null) {
    throw new UsageError(`--checkpoint-every ${checkpointEvery} needs --out FILE, the checkpoint it writes every ${checkpointEvery} steps`);
  }
  return {
    help,
    base,
    corpus: optionalFile('corpus', v.corpus),
    model,
    train,
    steps: v.steps === undefined ? base.steps : flag(NUMBER_SETTINGS.steps, v.steps),
    out,
    checkpointEvery,
    exportPath,
    resume,
    sampleEvery: v['sample-every'] === undefined ? base.sampleEvery : flag(NUMBER_SETTINGS.sampleEvery, v['sample-every']),
    valEvery: v['val-every'] === undefined ? base.valEvery : flag(NUMBER_SETTINGS.valEvery, v['val-every']),
    logEvery: v['log-every'] === undefined ? DEFAULT_LOG_EVERY : parseIntFlag('log-every', v['log-every'], 1, 100_000_000),
    lossLog: optionalFile('loss-log', v['loss-log']),
    engine: parseEngine(v.engine),
  };
}

/** --settings: a preset of the page's Settings menu, by id. */
function parsePreset(id: string | undefined): RunSettings {
  if (id === undefined) return NOTEBOOK_SETTINGS;
  const p = SETTINGS_PRESETS.find((x) => x.id === id);
  if (!p) throw new UsageError(`--settings must be one of ${SETTINGS_PRESETS.map((x) => x.id).join(', ')}, got ${show(id)}`);
  return p.settings;
}

/** The model and training configuration of a fresh run: the preset's (the notebook's by default), overridden by the flags given. */
export function freshConfig(args: TrainArgs, vocabSize: number): { model: ModelConfig; train: TrainConfig } {
  return {
    model: { vocabSize, ...args.base.model, ...args.model },
    train: { ...args.base.train, ...args.train },
  };
}

/**
 * The configuration of a resumed run: the checkpoint's. Flags that define the model
 * (--embed, --hidden, --layers) or the data layout (--batch, --seq-len, --schedule,
 * --seed) must match it or be absent; --lr, --lr-decay and --clip may change.
 */
export function resumedConfig(args: TrainArgs, saved: { model: ModelConfig; train: TrainConfig }): { model: ModelConfig; train: TrainConfig } {
  const check = (flag: string, given: number | string | undefined, have: number | string, what: string) => {
    if (given !== undefined && given !== have) {
      throw new UsageError(`--${flag} ${given} does not match the checkpoint being resumed (${what} ${have}); leave --${flag} out or give ${have}`);
    }
  };
  check('embed', args.model.embedSize, saved.model.embedSize, 'embedding size');
  check('hidden', args.model.hiddenSize, saved.model.hiddenSize, 'hidden size');
  check('layers', args.model.layers, saved.model.layers, 'layers');
  check('batch', args.train.batch, saved.train.batch, 'batch');
  check('seq-len', args.train.seqLen, saved.train.seqLen, 'sequence length');
  check('schedule', args.train.schedule, saved.train.schedule, 'schedule');
  check('seed', args.train.seed, saved.train.seed, 'seed');
  const train: TrainConfig = { ...saved.train };
  if (args.train.lr !== undefined) train.lr = args.train.lr;
  if (args.train.lrDecay !== undefined) train.lrDecay = args.train.lrDecay;
  if (args.train.clip !== undefined) train.clip = args.train.clip;
  return { model: { ...saved.model }, train };
}

export interface SampleArgs {
  help: boolean;
  model: string;
  prime: string;
  length: number;
  temperatures: number[];
  topK: number;
  topP: number;
  seed: number;
  engine: EngineChoice;
}

export function parseSampleArgs(argv: string[]): SampleArgs {
  const { values: v, help } = parseFlags('sample', argv, ['model', 'prime', 'length', 'temperature', 'top-k', 'top-p', 'seed', 'engine']);
  if (help) return { help, model: '', prime: '', length: 0, temperatures: [], topK: 0, topP: 1, seed: 0, engine: 'auto' };
  const prime = v.prime ?? DEFAULT_PRIME;
  if ([...prime].length === 0) throw new UsageError('--prime must have at least one character, got ""');
  return {
    help,
    model: requireFile('model', v.model, 'sample'),
    prime,
    length: v.length === undefined ? DEFAULT_SAMPLE_LENGTH : flag(NUMBER_SETTINGS.length, v.length),
    temperatures: v.temperature === undefined ? DEFAULT_TEMPERATURES.slice() : parseTemperatures(v.temperature),
    topK: v['top-k'] === undefined ? 0 : flag(NUMBER_SETTINGS.topK, v['top-k']),
    topP: v['top-p'] === undefined ? 1 : flag(NUMBER_SETTINGS.topP, v['top-p']),
    seed: v.seed === undefined ? 0 : flag(NUMBER_SETTINGS.sampleSeed, v.seed),
    engine: parseEngine(v.engine),
  };
}

export interface EvalArgs {
  help: boolean;
  model: string;
  text: string;
  engine: EngineChoice;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const { values: v, help } = parseFlags('eval', argv, ['model', 'text', 'engine']);
  if (help) return { help, model: '', text: '', engine: 'auto' };
  return { help, model: requireFile('model', v.model, 'eval'), text: requireFile('text', v.text, 'eval'), engine: parseEngine(v.engine) };
}

export interface BenchArgs {
  help: boolean;
  /** Timed steps per configuration; null: each configuration's own count (the GPU bench's). */
  steps: number | null;
  engine: EngineChoice;
  /** Per-kernel GPU times (GPU engine only). */
  profile: boolean;
  /** Write the figures into BENCHMARKS.md (GPU engine only). */
  record: boolean;
  /** Only the whole-step parity check against the CPU reference (GPU engine only). */
  parity: boolean;
  /** Only the notebook run and its loss on the passage. */
  notebookRun: boolean;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values: v, help, on } = parseFlags('bench', argv, ['steps', 'engine'], ['profile', 'record', 'parity', 'notebook-run']);
  if (help) return { help, steps: null, engine: 'auto', profile: false, record: false, parity: false, notebookRun: false };
  const only = ['parity', 'notebook-run'].filter((f) => on.has(f));
  if (only.length > 1) throw new UsageError(`--parity and --notebook-run each replace the figures: give one of them (run bench twice for both)`);
  const clash = [...['profile', 'record'].filter((f) => on.has(f)), ...(v.steps === undefined ? [] : ['steps'])];
  if (only.length && clash.length) throw new UsageError(`--${only[0]} runs no speed figures, so --${clash[0]} has nothing to apply to: leave one of them out`);
  return {
    help,
    steps: v.steps === undefined ? null : parseIntFlag('steps', v.steps, 1, 100_000),
    engine: parseEngine(v.engine),
    profile: on.has('profile'),
    record: on.has('record'),
    parity: on.has('parity'),
    notebookRun: on.has('notebook-run'),
  };
}

/** Splits `<command> <flags>`; an unknown or missing command is a UsageError. */
export function parseCommand(argv: string[]): { command: Command | 'help'; rest: string[] } {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new UsageError('give a command: train, sample, eval or bench (e.g. npm run train -- --help)');
  }
  if (first === '--help' || first === '-h' || first === 'help') return { command: 'help', rest };
  if ((COMMANDS as readonly string[]).includes(first)) return { command: first as Command, rest };
  throw new UsageError(`unknown command ${show(first)}: use train, sample, eval or bench`);
}
