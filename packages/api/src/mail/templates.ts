import { renderMail, type MailLinks, type RenderedMail } from "./layout";

/**
 * Every mail Livehall sends, as pure functions of their parameters (and the public address links
 * start with). A new mail is a function here and a line in TEMPLATES; `sendMail` takes
 * `{ id, params }` checked against it.
 */
type Template<P> = (params: P, links: MailLinks) => RenderedMail;

const verifyEmail: Template<{ name: string; token: string; hoursValid: number; change: boolean }> = (p, links) =>
  renderMail(
    {
      subject: p.change ? "Confirm your new Livehall e-mail address" : "Confirm your e-mail address for Livehall",
      preheader: "One click to confirm this address.",
      heading: p.change ? "Confirm your new address" : `Welcome to Livehall, ${p.name}`,
      paragraphs: [
        p.change
          ? "You asked to use this address for your Livehall account. It takes effect once you confirm it."
          : "Confirm this address so you can get class reminders and join courses you're invited to.",
      ],
      action: { label: "Confirm my address", url: links.to("/verify-email", { token: p.token }) },
      footnotes: [
        `The link works once, for ${p.hoursValid} hours.`,
        "If you didn't ask for this, ignore this mail: nothing changes.",
      ],
    },
    links,
  );

const passwordReset: Template<{ name: string; token: string; minutesValid: number }> = (p, links) =>
  renderMail(
    {
      subject: "Reset your Livehall password",
      preheader: "Choose a new password.",
      heading: "Reset your password",
      paragraphs: [
        `Hi ${p.name}, someone (we hope you) asked to reset the password of your Livehall account.`,
        "Choosing a new password signs you out on every other device.",
      ],
      action: { label: "Choose a new password", url: links.to("/reset-password", { token: p.token }) },
      footnotes: [
        `The link works once, for ${p.minutesValid} minutes.`,
        "If you didn't ask for this, ignore this mail: your password stays as it is.",
      ],
    },
    links,
  );

const courseInvitation: Template<{
  courseTitle: string;
  instructorName: string;
  token: string;
}> = (p, links) =>
  renderMail(
    {
      subject: `${p.instructorName} invited you to ${p.courseTitle} on Livehall`,
      preheader: `Join ${p.courseTitle}'s live classes.`,
      heading: `You're invited to ${p.courseTitle}`,
      paragraphs: [
        `${p.instructorName} added this address to ${p.courseTitle}, a course of live classes on Livehall.`,
        "Open the invitation to join: create an account with this address, or sign in if you have one.",
      ],
      action: { label: "Open the invitation", url: links.to("/invitation", { token: p.token }) },
      footnotes: ["If you don't want to join, ignore this mail."],
    },
    links,
  );

const courseAdded: Template<{ courseTitle: string; instructorName: string; courseSlug: string }> = (p, links) =>
  renderMail(
    {
      subject: `You're in ${p.courseTitle} on Livehall`,
      preheader: `${p.instructorName} added you to ${p.courseTitle}.`,
      heading: `You're in ${p.courseTitle}`,
      paragraphs: [`${p.instructorName} added you to ${p.courseTitle}. Its live classes are on the course page.`],
      action: { label: "Open the course", url: links.to(`/courses/${p.courseSlug}`) },
    },
    links,
  );

/** What the session mails (services/session-mail.ts) say about the class. */
interface SessionMailParams {
  name: string;
  sessionId: string;
  sessionTitle: string;
  courseTitle: string;
  instructorName: string;
  /** ISO instant. */
  startsAt: string;
  durationMinutes: number;
}

/** The student's time zone is not known to the worker: the date goes in UTC, said so, beside the page's link. */
const utcDateTime = (iso: string) =>
  `${new Intl.DateTimeFormat("en-GB", { dateStyle: "full", timeStyle: "short", timeZone: "UTC" }).format(new Date(iso))} UTC`;

const minutes = (count: number) => (count === 1 ? "1 minute" : `${count} minutes`);

const sessionReminder: Template<SessionMailParams & { minutes: number }> = (p, links) =>
  renderMail(
    {
      subject: `Starting in ${minutes(p.minutes)}: ${p.sessionTitle}`,
      preheader: `${p.courseTitle} with ${p.instructorName} starts in ${minutes(p.minutes)}.`,
      heading: `“${p.sessionTitle}” starts in ${minutes(p.minutes)}`,
      paragraphs: [
        `Hi ${p.name}, your class of ${p.courseTitle} with ${p.instructorName} starts soon. It lasts ${p.durationMinutes} minutes.`,
        "Open the session page a minute early to check your camera and microphone; the room opens when the instructor starts.",
      ],
      action: { label: "Go to the class", url: links.to(`/sessions/${p.sessionId}`) },
      footnotes: [
        `You get this because you're enrolled in the course. To stop class reminders, turn them off on your account page: ${links.to("/account")}`,
      ],
    },
    links,
  );

const sessionCancelled: Template<SessionMailParams> = (p, links) =>
  renderMail(
    {
      subject: `Cancelled: ${p.sessionTitle}`,
      preheader: `${p.instructorName} cancelled this class of ${p.courseTitle}.`,
      heading: `“${p.sessionTitle}” is cancelled`,
      paragraphs: [
        `Hi ${p.name}, ${p.instructorName} cancelled this class of ${p.courseTitle}, planned for ${utcDateTime(p.startsAt)}.`,
        "There is nothing you need to do. The course page shows its other classes.",
      ],
      action: { label: "See the session", url: links.to(`/sessions/${p.sessionId}`) },
      footnotes: ["You get this because you're enrolled in the course."],
    },
    links,
  );

export const TEMPLATES = {
  "verify-email": verifyEmail,
  "password-reset": passwordReset,
  "course-invitation": courseInvitation,
  "course-added": courseAdded,
  "session-reminder": sessionReminder,
  "session-cancelled": sessionCancelled,
};

export type TemplateId = keyof typeof TEMPLATES;

/** A mail to send: a template and its parameters, checked against each other. */
export type MailTemplate = {
  [K in TemplateId]: { id: K; params: Parameters<(typeof TEMPLATES)[K]>[0] };
}[TemplateId];

export function renderTemplate(template: MailTemplate, links: MailLinks): RenderedMail {
  return (TEMPLATES[template.id] as Template<MailTemplate["params"]>)(template.params, links);
}
