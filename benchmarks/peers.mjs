// Times the JavaScript peers on smsmock's benchmark corpus; prints JSON on stdout.
// Usage: node peers.mjs CORPUS.json [--answers]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const smsLength = require("sms-length");
const splitter = require("split-sms");
const { SegmentedMessage } = require("sms-segments-calculator");

const { texts, subset } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const wantAnswers = process.argv.includes("--answers");

function timed(fn, items) {
  const start = process.hrtime.bigint();
  const answers = [];
  for (const text of items) answers.push(fn(text));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, count: items.length, answers: wantAnswers ? answers : undefined };
}

const encodingName = { GSM_7BIT: "GSM7", GSM_7BIT_EXT: "GSM7", UTF16: "UCS2", GSM: "GSM7", Unicode: "UCS2" };

const result = {
  "sms-length": timed((text) => {
    const counted = smsLength.count(text);
    return [encodingName[counted.encoding], counted.messages];
  }, texts),
  "split-sms": timed((text) => {
    const split = splitter.split(text);
    return [encodingName[split.characterSet], split.parts.map((part) => part.content)];
  }, texts),
  "sms-segments-calculator": timed((text) => {
    const message = new SegmentedMessage(text);
    return [message.encodingName === "GSM-7" ? "GSM7" : "UCS2", message.segmentsCount];
  }, subset.map((index) => texts[index])),
};
process.stdout.write(JSON.stringify(result));
