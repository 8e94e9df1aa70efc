"""Writes data/scripts.jsonl, the education skill pack's script library (话术库).

The scripts are authored here, one s(...) call each, because Python strings are easier to
review and edit than JSON lines; the plugin reads only the generated data/scripts.jsonl.
Run from anywhere:  python3 plugins/edu-skill-pack/tools/gen_scripts.py

s(id, topic, intents, keywords, answer, exclude=None, priority=None)
  intents   space-separated labels from shared/intents.md (a bonus when the classifier agrees)
  keywords  patterns: "a|b" matches either, "a|b&c|d" needs one word of each group;
            "#科目" is present when the message names a subject or course, "#学员" when it
            states the learner's age or grade
  answer    template: {var} fills a variable, [x|y] takes the first alternative whose variables
            are all known, {?var} / {!var} need var known / unknown (render nothing)
  exclude   patterns that veto the script
  priority  added to the score (breaks ties)
Written by the Kefu team for this project (Apache-2.0); no third-party text.
"""
import json
S = []
def s(id, topic, intents, keywords, answer, exclude=None, priority=None):
    d = {"id": id, "topic": topic, "intents": intents.split(), "keywords": keywords, "answer": answer}
    if exclude: d["exclude"] = exclude
    if priority is not None: d["priority"] = priority
    S.append(d)

HI = "[{customer_name}您好！|您好！]"
ADV = "我先帮您登记，课程顾问会尽快联系您确认[（咨询电话：{hotline}）|]。"
CI = "course_inquiry"; ES = "enrollment_schedule"

# ---------------- course content ----------------
s("course.content", "course", CI, ["学什么|学些什么|教什么|教些什么|课程内容|上课内容|大纲|教学内容|讲什么|讲些什么|主要学|内容是什么|学哪些|上些什么"],
  HI + "[{course}的课程内容：{course_desc}|{course_intro}|我们的课程会按孩子的年龄和基础分阶段设计，每节课都有明确的学习目标，课后老师会反馈孩子的课堂表现]。[{!course}方便告诉我孩子的年龄（或年级）和想学的科目吗？我把对应课程的详细大纲发给您。|如需详细大纲，我可以发给您参考。]")
s("course.system", "course", CI, ["课程体系|几个级别|分几级|分几个阶段|级别划分|课程设置|课程规划|学习路径|体系"],
  "[{course_system}|我们的课程是分级设置的，每个级别对应不同的学习目标，孩子学完一个阶段会有阶段评估，再决定进入下一级]。[{course_list}都是目前在开的课程，|]您可以告诉我孩子的年龄和基础，我帮您看看从哪个级别开始最合适。")
s("course.zero_basis", "course", CI, ["零基础|没基础|没有基础|没学过|从没学过|没接触过|基础差|基础不好|基础比较弱|基础薄弱|从头学", "底子差|底子薄|底子不好|底子很差|底子弱|没底子"],
  "没关系的，很多孩子都是零基础开始学的。[{zero_basis_policy}|我们会先了解孩子目前的水平，再安排合适的起点班级，老师也会根据孩子的接受情况调整节奏。]建议先约一节试听，看看孩子的适应情况，您看可以吗？")
s("course.effect", "course", CI, ["效果|提分|能提高|提高多少|学完能|有没有用|管用|见效|多久能看到|能学会吗|能达到什么"],
  "学习效果和孩子的起点、投入都有关系，我们不做不切实际的承诺。[{effect_policy}|每个阶段老师都会做学习评估，并把孩子的进步和需要加强的地方反馈给家长]。[如果您告诉我孩子目前的情况，我可以请{course}的老师给您一个更具体的学习建议。|如果您告诉我孩子目前的情况，我可以请老师给您一个更具体的学习建议。]", exclude=["保过|包过|不过退"])
s("course.guarantee", "course", CI, ["保过|包过|包通过|不过退|保证通过|保分|保证提分|承诺提分", "保证|确保|一定能&考过|通过|考上|提分|过级"],
  "感谢您的信任。考试结果受很多因素影响，我们不做“保过”这类承诺，但会为孩子制定清晰的学习计划，定期做阶段测评，及时和您沟通进度。[{guarantee_policy}|]")
s("course.one_on_one", "course", CI, ["一对一|1对1|1v1|一对1|私教课|单独上课|单独辅导|单独教"],
  "[{one_on_one_policy}|我们有一对一的课程形式，老师会根据孩子的具体情况定制学习内容，时间上也更灵活。]一对一和小班课各有优势：一对一针对性强，小班课有同伴互动。[一对一的收费：{one_on_one_price}|具体收费以顾问报价为准，]需要的话我帮您安排一次评估。")
s("course.exam_prep", "course", CI, ["考级|备考|冲刺|应试|竞赛|比赛|证书|考证|ket|pet|fce|雅思|托福|小升初|中考|高考"],
  "[{exam_policy}|我们有针对考试的备考课程，会按考试要求做专项训练和模拟测试。][{course}目前的上课时间是{schedule}。|]方便告诉我孩子准备参加哪项考试、计划什么时候考吗？我帮您看看合适的班级和时间。", exclude=["报名费|考试费"])
s("course.speaking", "course", CI, ["口语|发音|开口说|听说|自然拼读|外教课|外教口语|口语课"],
  "[{speaking_intro}|我们的英语课很重视听说能力，课堂上会有大量开口练习和情景对话，老师会纠正发音]。[{course}的授课老师是{teacher}。|]可以先约一节试听，让孩子感受一下课堂氛围。")
s("course.coding", "course", CI, ["scratch|python|c++|编程|机器人编程|机器人课|乐高|信息学|信奥|人工智能课"],
  "[{coding_intro}|我们的编程课一般从图形化编程入门，再逐步过渡到代码编程，课上孩子会动手完成自己的小作品，锻炼逻辑思维]。[{child}可以先从入门班开始，|]我可以根据孩子的年龄帮您匹配合适的级别。", exclude=["多少钱|学费|价格|收费|推荐|适合|几点|时间|地址|退"])
s("course.math", "course", CI, ["奥数|思维课|思维数学|数学思维|计算能力|数学课"],
  "[{math_intro}|我们的数学课注重思维训练和解题方法，既会巩固校内知识，也会做拓展训练]，老师会根据孩子的水平调整难度。[{?child}我帮您看看适合{learner}孩子的班级。|您可以告诉我孩子的年级和目前的数学情况，我帮您推荐合适的班级。]", exclude=["多少钱|学费|价格|收费|推荐|适合|几点|时间|地址|退"])
s("course.chinese", "course", CI, ["作文|阅读理解|写作课|语文课|大语文|古诗|文言文|阅读课"],
  "[{chinese_intro}|我们的语文课以阅读和写作为核心，会带孩子积累素材、学习表达方法，每次课都有写作练习和老师点评]。[{?child}我帮您看看适合{learner}孩子的班级。|告诉我孩子的年级，我帮您看看适合的班级。]", exclude=["多少钱|学费|价格|收费|推荐|适合|几点|时间|地址|退"])
s("course.arts", "course", CI, ["美术|画画|绘画|书法|练字|舞蹈|钢琴|乐器|音乐课|声乐|围棋|口才|演讲"],
  "[{arts_intro}|我们的艺术类课程注重兴趣培养和基本功，老师会根据孩子的年龄安排合适的内容，定期有作品展示]。[{course}的上课时间是{schedule}。|][{?child}我帮您看看适合{learner}孩子的班级。|您可以告诉我孩子的年龄，我帮您看看哪个班合适。]", exclude=["多少钱|学费|价格|收费|推荐|适合|几点|时间|地址|退"])
s("course.camp", "course", CI, ["夏令营|冬令营|研学|营地|游学"],
  "[{camp_intro}|我们的营地活动会在假期开放报名，内容、天数和出行安排以当期通知为准]。[目前在招的有：{course_list}。|]您可以留下孩子的年龄，有合适的营期我第一时间通知您。")
s("course.list", "course", CI, ["有哪些课|有什么课程|都有什么课|开了哪些|开设了哪些|开什么课|课程有哪些|有哪些班|有几种课|都教什么"],
  "[我们目前开设的课程有：{course_list}。|我们开设了多门课程，具体以各校区当期课表为准。]方便告诉我孩子的年龄或年级吗？我帮您挑出最适合的几门。", exclude=["推荐|适合"])
s("course.sitin", "course", CI, ["旁听|陪读|陪课|家长能进|家长可以进|家长陪同|家长在旁边|家长能看"],
  "[{sitin_policy}|为了让孩子更专注，正式课一般不安排家长进教室陪读，试听课家长可以一起感受]。课后老师会把孩子的课堂表现反馈给您，您也可以随时找老师沟通。")
s("course.pace", "course", CI, ["进度|讲得快|讲课快|跟得上|跟不上|难度|难不难|太难|简单|节奏|慢热"],
  "[{pace_policy}|我们会根据孩子的水平分班，老师也会关注每个孩子的接受情况]。如果孩子一时跟不上，老师会在课后单独答疑，必要时也可以调整到更合适的班级。", exclude=["跟不上&学校|校内", "换|调|转&班"])
s("course.school_sync", "course", CI, ["校内同步|同步辅导|学校进度|跟学校|校内成绩|期末复习|期中复习|预习|复习"],
  "[{sync_policy}|我们的课程会兼顾校内进度，既帮孩子巩固课本知识，也会适当拓展]。您可以告诉我孩子的年级和使用的教材版本，我帮您确认对应的班级。")
s("course.personality", "course", CI, ["坐不住|注意力|好动|内向|害羞|胆小|不爱说话|不感兴趣|没兴趣|不想学|专注"],
  "很理解您的顾虑，很多孩子刚开始都会这样。我们的老师会通过互动和游戏化的方式引导孩子参与，循序渐进地建立兴趣和专注力。建议先约一节试听，看看孩子的反应，您也可以现场和老师交流。", exclude=["退"])
s("course.language", "course", CI, ["全英文|全英|英文授课|中文讲解|双语|用中文|讲中文|中英"],
  "[{language_policy}|课堂语言会根据孩子的年龄和水平来安排：低龄和基础阶段会适当用中文辅助讲解，随着水平提高逐步增加英文授课的比例]。[{course}由{teacher}授课。|]")
s("course.content_online_offline", "course", CI, ["线上线下一样|线上和线下|线下和线上|内容一样吗|一样的内容"],
  "[{online_policy}|线上和线下课程的教学内容是同步的，只是上课形式不同]。如果孩子自律性一般，建议优先线下；时间或距离不方便时，线上也是不错的选择。")
s("course.class_type", "course", CI, ["小班课还是|大班还是|班课|一对多|几对几|什么形式上课|上课形式|授课形式"],
  "[{class_size}|我们以小班授课为主，也有一对一的形式]。[{course}目前的安排是：{course_info}。|]您更倾向哪种形式？我帮您看看对应的班级。")

# ---------------- ages ----------------
s("age.suitable", "age", CI, ["几岁|多大|年龄|岁数|年龄段|多大的孩子|岁可以学|岁能学|岁能上|岁可以上|几年级可以|几年级能"],
  "[{course}适合的年龄/年级：{course_ages}。|{age_policy}|我们不同课程的适龄段不一样，一般会按孩子的年龄和基础来分班。]方便告诉我孩子现在几岁（或读几年级）吗？我帮您确认能不能报。", exclude=["推荐|你几岁|你多大"])
s("age.young", "age", CI, ["太小|会不会小|还小|年纪小|年龄小|小了点|太早|早不早|会不会太早", "#学员&收不收|能不能来|能来吗|可以来吗|收吗|能上吗|能学吗"],
  "这个阶段的孩子以兴趣启蒙为主，我们的低龄课程节奏会放慢，多用游戏和互动的方式。[{child}能不能跟上，|孩子能不能跟上，]建议先约一节试听，老师会根据孩子的表现给您客观的建议。")
s("age.adult", "age", CI, ["成人|大人|家长也能|家长可以学|成年人|上班族|我自己学|大学生|宝妈"],
  "[{adult_policy}|我们也有面向成人的课程，时间多安排在晚上和周末]。[目前的课程有：{course_list}。|]您方便说说学习目的和想上课的时间吗？我帮您匹配合适的班级。")
s("age.preschool", "age", CI, ["幼小衔接|学龄前|启蒙|幼儿园的孩子|早教|托班|学前班"],
  "[{preschool_intro}|学龄前的孩子我们以习惯养成和兴趣启蒙为主，课堂时间相对短、互动多]，帮助孩子顺利过渡到小学。[{child}可以先来试听一节，|]我帮您看看合适的班级和时间？", exclude=["多少钱|学费|推荐|适合"])
s("age.grade", "age", CI, ["几年级|哪个年级|什么年级|年级适合|年级能报|年级可以报|初中的|高中的|小学的"],
  "[{course}面向{course_ages}。|我们的课程按年级和水平分班，小学、初中都有对应的班级。]您告诉我孩子读几年级，我帮您看看适合的班。", exclude=["推荐|适合|多少钱|学费|几点|时间"])

# ---------------- teachers ----------------
s("teacher.qualification", "teacher", CI, ["资格证|教师资格|老师资质|师资|学历|毕业|名校|专业吗|老师水平|老师靠谱|老师怎么样"],
  "[{teacher_intro}|我们的任课老师都持有相应的教师资格证，入职前经过试讲考核和岗前培训，上岗后也有定期教研和听课评估]。[{course}由{teacher}授课。|]您在试听时也可以直接和老师交流。")
s("teacher.experience", "teacher", CI, ["教龄|教了几年|教学经验|经验丰富|老师教多久|新老师|老教师|年轻老师", "教书|教学|从教|教龄&多少年|几年|多久|多长时间"],
  "[{teacher_experience}|我们的老师都有一线教学经验，新老师上岗前会经过系统培训和试讲考核，并由资深老师带教]。[{course}由{teacher}授课，|]具体老师的背景您可以在试听时详细了解。")
s("teacher.who", "teacher", CI, ["谁教|谁来教|哪个老师|哪位老师|什么老师|老师是谁|任课老师|主讲老师|授课老师|带班老师"],
  "[{course}的授课老师是{teacher}。|{course_teachers}|每个班的任课老师会在分班后确定，报名前我们可以把老师的介绍发给您。][{teacher_intro}|]")
s("teacher.foreign", "teacher", CI, ["外教|外国老师|母语|外籍|中教|native"],
  "[{foreign_teacher_policy}|我们的英语课程以中教为主，部分课程会安排外教课，具体以课程安排为准]。[{course}由{teacher}授课。|]您可以告诉我孩子的年龄和需求，我帮您看看合适的班级。")
s("teacher.fixed", "teacher", CI, ["固定老师|会不会换老师|经常换老师|老师稳定|老师会换|同一个老师|一直是"],
  "[{teacher_policy}|正常情况下一个班级会由固定的老师带完整个学期，如遇特殊情况需要调整，我们会提前通知家长并做好交接]。")
s("teacher.change", "teacher", ES, ["换老师|换个老师|不喜欢老师|不喜欢这个老师|跟老师合不来|老师不适应|适应不了老师"],
  "收到，孩子的感受我们很重视。麻烦您说一下孩子在哪个班、遇到了什么情况，我们会先和任课老师沟通；如果确实不合适，可以协调调整老师或班级。" + ADV)
s("teacher.gender", "teacher", CI, ["男老师|女老师"],
  "[{teacher_intro}|我们不同班级的老师有男有女，]如果您对老师有偏好，可以在报名时告诉顾问，我们会尽量安排。")
s("teacher.contact", "teacher", CI, ["老师微信|老师电话|加老师|联系老师|老师联系方式|班主任电话|找老师沟通"],
  "报名分班后，班主任会主动添加您的联系方式并拉家长群，平时有任何问题都可以直接联系。[如果比较着急，可以拨打{campus}的电话：{campus_phone}。|如果比较着急，也可以先告诉我，我帮您转达给老师。]")
s("teacher.assistant", "teacher", CI, ["班主任|助教|辅导老师|督学|答疑"],
  "[{assistant_policy}|每个班都会配有班主任，负责课后答疑、作业督促和家校沟通]，孩子有不懂的地方课后也可以随时问。")
s("teacher.trial_same", "teacher", CI, ["试听&同一个老师|正式课|同一位老师|是不是同一个", "试听的老师|试听老师"],
  "[{trial_teacher_policy}|试听课的老师一般就是对应班级的任课老师，如有不同我们会提前说明]。")

# ---------------- class size ----------------
s("size.count", "class_size", CI, ["几个人|多少人|几个学生|几个孩子|几多个|几个小朋友|多少个学生|班级人数|一个班几|一班几|人数|几人班|几个孩子一起", "一个班|每个班|一班|每班|一个老师带|一个教练带&几个|多少", "多少|几个&同学|学生|小朋友|孩子"],
  "[{course}一个班：{course_class_size}。|{class_size}|我们以小班授课为主，具体人数因课程而异，报名时顾问会告诉您对应班级的人数上限。]")
s("size.grouping", "class_size", CI, ["分班|怎么分班|按什么分|同龄|混龄|按水平|按年龄分|分层"],
  "[{grouping_policy}|我们会综合孩子的年龄、年级和入学测评结果来分班，尽量保证同一个班的孩子水平接近]，学习过程中也会根据进步情况调整。")
s("size.min_open", "class_size", CI, ["开班人数|人数不够|人不够|不满|凑不齐|几个人开班|满几个人|够人"],
  "[{min_open_policy}|每个班都有开班人数要求，如果报名人数不足，我们会提前通知您，可以选择调到其他时间的班级或办理退费]。")
s("size.attention", "class_size", CI, ["照顾得过来|顾得上|关注到|管得过来|能管住|注意到每个"],
  "我们采用小班教学就是为了让老师能关注到每个孩子，课上会保证每个孩子都有互动和发言的机会，课后班主任也会跟进学习情况。[{class_size}|]")

# ---------------- schedule ----------------
s("schedule.time", "schedule", ES, ["上课时间|几点上课|几点到几点|什么时候上课|哪天上课|时间安排|课表|课程表|排课|上课的时间|几点开始|几点下课|哪几天", "星期几|周几|礼拜几|哪几天|哪天上"],
  "[{course}的上课时间是{schedule}。|{course_schedules}|{schedule_policy}|各个班级的上课时间不一样，通常周末和工作日晚上都有班。]您方便告诉我孩子的年级和可以上课的时间吗？我帮您找合适的班。")
s("schedule.frequency", "schedule", ES, ["一周几次|每周几次|一周几节|一周上几|每周上几|多久上一次|上课频率|一周一次|一周两次|每周一次", "每周|一周|一星期|每星期|一个星期|一个礼拜&几次|几节|几回|多少次|几天"],
  "[{frequency_policy}|我们的常规班一般每周上1-2次课，具体频次因课程而异]。[{course}的时间是{schedule}。|]如需更灵活的安排，也可以考虑一对一。")
s("schedule.duration", "schedule", ES, ["一节课多久|一节课多长|一次课多久|多少分钟|几分钟|一节几分钟|课时多长|一次多长时间|上多久|一节课多少时间"],
  "[{lesson_length}|每节课的时长会根据孩子的年龄来定，低龄孩子的课时会短一些]。[{course}的安排是{schedule}。|]")
s("schedule.total", "schedule", ES, ["一共多少节|总共几节|总共多少|多少课时|几个课时|几个月学完|学多久|多久学完|一期多少|周期多长|一期几节"],
  "[{total_lessons}|每个课程的总课时不同，一般按学期或课包计算]。[{course}的详细信息：{course_info}。|]报名时顾问会把完整的课程安排发给您。")
s("schedule.start", "schedule", ES, ["什么时候开课|几时开课|几时开班|开课时间|几号开课|哪天开课|开班时间|什么时候开班|新班|下一期|下期|开学时间|何时开课"],
  "[{course}的上课时间是{schedule}[，目前还剩{seats_left}个名额]。|{start_policy}|新班的开课时间以校区排课为准，我们会在开班前通知已登记的家长。]需要的话我先帮您登记，开班第一时间通知您。")
s("schedule.weekend", "schedule", ES, ["周末班|周六|周日|星期六|星期天|礼拜六|礼拜天|周末有|周末上"],
  "[{course_schedules}|{course}的上课时间是{schedule}。|我们周末是有班的，具体时段以各校区课表为准。]您想要上午还是下午的班？我帮您看看还有没有位置。", exclude=["请假|补课|来不了|去不了|停课|放假|换|调|改|挪"])
s("schedule.evening", "schedule", ES, ["晚上|工作日|放学后|放学以后|下午|平时上课|平日"],
  "[{course_schedules}|{course}的上课时间是{schedule}。|我们工作日放学后和晚上也安排了班级，具体时段以各校区课表为准。]您告诉我方便的时间段，我帮您找合适的班。", exclude=["请假|补课|来不了|去不了|接|营业|开门|下班"])
s("schedule.holiday", "schedule", ES, ["放假|节假日|国庆|春节|过年|五一|端午|中秋|停课|假期上课|放几天|复课"],
  "[{holiday_policy}|法定节假日的上课安排会提前在家长群和公众号通知，停课的课时会顺延，不会浪费]。如有具体日期想确认，我可以帮您问一下班主任。")
s("schedule.summer", "schedule", ES, ["暑假班|寒假班|暑期班|暑假|寒假|假期班|集训"],
  "[{summer_policy}|假期班一般会在放假前一个月左右开放报名，课程更集中]。[目前开设的课程有：{course_list}。|]您可以留下孩子的年级，班级排出来后我第一时间通知您。", exclude=["退|请假|停课|放假"])
s("schedule.conflict", "schedule", ES, ["时间冲突|时间不合适|时间对不上|时间撞|撞课|时间不方便|没空|时间不行"],
  "理解的，孩子的时间确实不好安排。您告诉我孩子方便的时间段，我帮您看看其他班次；[{course_schedules}|如果暂时没有合适的班，我先帮您登记，有新班开出来马上通知您。]")
s("schedule.reschedule", "schedule", ES, ["调课|换时间|改时间|挪到|换到|改到|调到|调一下时间|换个时间|改一下时间"],
  "[{reschedule_policy}|临时调课需要提前和班主任沟通，我们会在同课程的其他班级里帮孩子找合适的时间]。您告诉我想调到哪天，我帮您确认。", exclude=["老师|校区"])

# ---------------- trial ----------------
s("trial.fee", "trial", ES + " price_inquiry", ["试听|试课|体验课|试上|试学|试堂&收费|收钱|免费|要钱|多少钱|付费|花钱|费用|要不要钱|几钱|收唔收"],
  HI + "[关于试听课：{trial_policy}。|试听课的安排（包括是否收费）各校区会略有不同，我帮您向校区确认后回复您。]您方便告诉我孩子的年龄和想试听的科目吗？我帮您约合适的时间。", priority=0.2)
s("trial.book", "trial", ES, ["试听|试课|体验课|试上|试学|先听一节|先上一节|试一节|听一节|试一下课|试堂|体验一下", "体验&一节|一次|一下|课|预约"],
  HI + "可以的，欢迎带孩子来试听！[{trial_policy}。|]请告诉我孩子的年龄（或年级）、想试听的科目和方便的时间，[我帮您约{campus}的试听课。|我帮您安排。]", exclude=["退"])
s("trial.content", "trial", ES, ["试听&上什么|讲什么|内容|多久|多长时间|多少分钟|流程"],
  "[{trial_policy}。|]试听课和正式课的上课形式基本一致，孩子会完整体验一节课，课后老师会和您沟通孩子的表现和学习建议。")
s("trial.count", "trial", ES, ["试听&几次|几节|多少次|多少节|再听|第二节|再试"],
  "[{trial_policy}。|试听的次数以校区安排为准，]如果孩子第一次没能完全适应，可以和顾问沟通再安排。")
s("trial.parent", "trial", ES, ["试听&家长|陪同|陪着|一起进|在旁边"],
  "试听课欢迎家长陪同，您可以直观看到老师的上课方式和孩子的状态。[{sitin_policy}|]课后老师也会和您交流孩子的表现。")
s("trial.after", "trial", ES, ["试听完|听完了|试完了|试听后|试听之后|听完以后|上完试听&报名|报|满意|觉得|怎么|接下来"],
  "感谢您带孩子来试听！如果孩子喜欢，我可以帮您看看合适的班级和时间，[{course}目前还剩{seats_left}个名额。|]也欢迎您说说对试听课的感受，我们会认真参考。", exclude=["退"])
s("trial.cancel", "trial", ES, ["试听&取消|改时间|去不了|来不了|改期|换个时间|推迟"],
  "没问题，试听可以改期。您告诉我新的方便时间，我帮您重新预约[{campus}的试听课|]。")
s("trial.assessment", "trial", ES, ["测评|水平测试|入学测试|摸底|测一下|分级测试|入学考试|测试一下", "考试|测试|考核&入学|报名前|入学前|进班|上课前|分班"],
  "[{placement_policy}|报名前我们会给孩子做一次免费的水平测评，了解孩子的基础，再推荐合适的班级]。[{?placement_policy}|（测评是否收费以校区安排为准。）]您方便的话我帮您预约测评时间。")

# ---------------- sign-up ----------------
s("signup.how", "signup", ES + " place_order", ["报名|报一个|报个班|给孩子报|帮孩子报|怎么报名|如何报名|报名流程|报名方式|在哪报名|在哪里报名|怎么报|想报名|我要报名|报个名|想报个|帮我报|怎么交钱报名|报名步骤|enroll"],
  HI + "[报名流程：{signup_steps}。|报名很简单：先确认课程和班级，再办理缴费和签订报名协议，分班后班主任会联系您。]请告诉我孩子的姓名、年龄（或年级）和想报的课程，[我帮您确认{campus}的班级。|我帮您确认班级。]")
s("signup.materials", "signup", ES, ["报名&材料|资料|证件|准备什么|需要带|带什么|身份证|户口本"],
  "[{signup_materials}|报名时提供孩子的姓名、年龄（或年级）和家长联系方式就可以，不需要额外证件]。到校区报名的话带上手机方便缴费即可。")
s("signup.seats", "signup", ES, ["名额|有冇位|冇位|仲有位|还有位置|还有位子|还有位|满了吗|满没满|还能报吗|剩几个|有空位|报满|还有空|有位|余位|学位"],
  "[{course}目前还剩{seats_left}个名额，需要的话我可以先帮您预留。|{full_course}这一期名额已经报满了，我可以帮您登记候补，有空位第一时间通知您。|{course_seats}|各班名额变化比较快，您告诉我想报的课程和孩子的年级，我帮您查一下实时名额。]")
s("signup.deadline", "signup", ES, ["截止|报名时间|什么时候报名|什么时候开始报名|几时报名|开始报名|报名到什么时候|最晚什么时候|还来得及吗|来得及|什么时候报"],
  "[{deadline}|报名一般在开班前截止，热门班级可能提前报满]，建议您尽早确认。[{course}目前还剩{seats_left}个名额。|]")
s("signup.online", "signup", ES, ["线上报名|网上报名|小程序报名|报名链接|公众号报名|手机上报名|在线报名|手机报名", "手机|网上|线上|小程序|公众号|app&报名|报"],
  "[{online_signup}|可以线上报名的，您告诉我孩子的信息和想报的课程，我把报名链接发给您，按提示填写并缴费即可]。")
s("signup.waitlist", "signup", ES, ["候补|排队|等位|满了怎么办|报不上|抢不到|排号", "满&排队|等|候补|排号"],
  "[{full_course}目前已经满员，|]我可以帮您登记候补，一有空位或新开班级会第一时间通知您。方便留一下孩子的年级和可上课的时间吗？")
s("signup.contract", "signup", ES, ["合同|协议|签约|签合同|电子合同"],
  "[{contract_policy}|报名时我们会和家长签订正式的培训协议，课程内容、课时、费用和退费规则都会写清楚]，您可以在签订前仔细阅读，有疑问随时问我们。")
s("signup.confirm", "signup", ES, ["报名成功|报上了|报上没|报了名|报名了没|确认报上|开课通知|确认报名|报名后|交完钱|交了钱|缴费后"],
  "[{confirm_policy}|报名缴费成功后，班主任会在开课前联系您，告知分班、上课时间和注意事项]。如果还没收到通知，麻烦提供一下孩子的姓名和报名课程，我帮您查一下。")
s("signup.midway", "signup", ES, ["插班|中途加入|中途报名|中途进|跟班|中间加入|开课了还能报|已经开课"],
  "[{midway_policy}|已经开课的班级一般可以插班，我们会先了解孩子的基础，老师也会帮孩子补上前面的内容]。[{course}目前还剩{seats_left}个名额。|]您告诉我想报的课程，我帮您确认。")
s("signup.siblings", "signup", ES, ["两个孩子|俩孩子|二胎|兄弟俩|姐妹俩|姐弟|兄妹|大宝二宝|一起报"],
  "欢迎两个孩子一起来学习！[{sibling_policy}|]您告诉我两个孩子各自的年龄和想学的课程，我帮您看看能否安排在相近的时间，接送也方便。", exclude=["优惠|便宜|折"])

# ---------------- prices ----------------
s("price.general", "price", "price_inquiry", ["多少钱|学费|收费|价格|价钱|费用|几钱|几多钱|怎么收费|报价|收多少|要多少|多少一期|多少一年|怎么算钱|贵不贵|学费表"],
  HI + "[{course}的学费是{price}。|目前的课程收费：{course_prices}。|具体收费会根据课程和课时包有所不同，以校区顾问的报价为准。][{?price}|{?course_prices}|方便告诉我孩子的年级和想报的课程吗？我帮您查准确的收费。]", exclude=["试听|试课|体验课|退|分期|教材|书本|报名费|定金"])
s("price.per_lesson", "price", "price_inquiry", ["一节课多少|一节多少|单价|课时费|每节课多少|一课时|一次课多少|每次多少|平均一节|按节收费|按次收费", "一节|每节|一次课|一课时|每次|一堂&多少钱|几钱|价格|费用|合多少|收多少|什么价"],
  "[{course}的收费是{price}。|{course_prices}|{lesson_price_policy}|课时单价会因课程和课包大小不同，具体以顾问的报价为准。][{!course}|]您想了解哪门课程？我帮您查一下。")
s("price.includes", "price", "price_inquiry", ["包含|包括|含不含|另外收|额外收费|杂费|还要交|还要另外|隐形消费|其他费用|还有别的费用"],
  "[{fee_includes}|学费包含的项目（课时、教材、测评等）在报名协议里都会逐项写清楚，没有写明的不会另外收取]。如果您想确认某门课的费用构成，我帮您向顾问要一份明细。")
s("price.material", "price", "price_inquiry", ["教材费|书本费|材料费|资料费|书费|教具费|耗材"],
  "[{material_fee}|教材和材料费用是否另收因课程而异，报名时会写进协议]，您告诉我想报的课程，我帮您确认。")
s("price.difference", "price", "price_inquiry", ["差价|贵多少|为什么贵|价格不一样|差多少钱|价格区别|哪个便宜|价格差", "为什么|怎么|凭什么&贵|便宜|价格|这么多钱", "比&贵|便宜"],
  "[{course_prices}|不同课程的价格差异主要来自课时数、班型（一对一或小班）和授课老师等，]具体以顾问的报价为准。您说一下在比较哪几门课，我帮您把区别讲清楚。")
s("price.expensive", "price", "price_inquiry promotion_coupon", ["太贵|好贵|有点贵|贵了|太高了|偏贵|负担不起|能便宜|便宜点|少点|少一点"],
  "理解您的考虑，学费确实是一笔不小的支出。[{promotions}|]我们的课程包含课后答疑和学习反馈等服务，[也支持分期：{instalment_policy}。|]您可以先带孩子试听，觉得合适再决定。")
s("price.registration", "price", "price_inquiry", ["报名费|定金|押金|订金|预付款|占位费|预留费"],
  "[{deposit_policy}|报名是否需要定金、定金能否退，以您报名时签订的协议为准]，我可以帮您向校区确认具体规定。")
s("price.renewal", "price", "price_inquiry", ["续费|续报|续课|续班|再报一期|接着报|续一期|继续报"],
  "感谢您对我们的信任！[{?returning_discount}作为老学员，续报可以享受：{returning_discount}。|][{course}续报的学费是{price}。|{renewal_policy}|续报的具体费用以顾问报价为准。]需要我帮您办理续报吗？")
s("price.package", "price", "price_inquiry", ["课包|套餐|年卡|季卡|学期卡|打包|课时包|大课包|小课包"],
  "[{package_policy}|我们有不同课时数的课包可选，课时越多单价通常越优惠]，具体以顾问报价为准。您告诉我孩子想学的课程，我帮您算一下。")

# ---------------- payment / instalments ----------------
s("pay.instalment", "payment", "payment_issue price_inquiry", ["分期|花呗|分几期|月付|按月交|先交一部分|分开交|分次付|分批交|免息"],
  "[{instalment_policy}|关于分期，不同课程的支持情况不一样，具体以校区顾问的说明为准，我帮您确认。]" + "需要的话，我让顾问把可选的付款方案发给您。")
s("pay.methods", "payment", "payment_issue", ["怎么付|支付方式|付款方式|怎么交钱|怎么交费|微信支付|支付宝|刷卡|转账|现金|对公|公对公|怎么缴费|在哪交", "信用卡|银行卡|云闪付|数字人民币|pos机"],
  "[{payment_methods}|缴费方式以校区支持的为准，一般可以在校区前台或线上办理]，缴费后请保留好付款凭证。如有疑问可以随时问我。", exclude=["失败|扣了|扣款|没成功"])
s("pay.lump", "payment", "payment_issue price_inquiry", ["一次交|一次性交|一次性付|交清|全款|按学期交|按月交费|按学期付|一学期一交"],
  "[{payment_cycle}|缴费周期以课程和课包为准（按期或按学期），报名协议里会写明]。[关于分期：{instalment_policy}。|]")
s("pay.failed", "payment", "payment_issue", ["支付失败|付款失败|付不了|交不了|扣了钱|扣款了|重复扣|扣了两次|付了没成功|显示未支付|没支付成功"],
  "非常抱歉给您带来不便！请先不要重复付款，麻烦把付款截图和孩子的姓名发给我，我马上转给财务核对；如果确认重复扣款，会原路退回。")
s("pay.receipt", "payment", "payment_issue invoice", ["收据|缴费凭证|付款记录|交费记录|缴费记录|付款凭证"],
  "[{receipt_policy}|缴费后可以在校区前台开具收据]，您也可以把孩子姓名和缴费日期发给我，我帮您查缴费记录。")
s("pay.invoice", "payment", "invoice", ["发票|开票|报销|抬头|税号|电子票"],
  "[{invoice_policy}|可以开具发票的。]麻烦提供发票抬头、税号（单位报销需要）和接收邮箱，我转给财务为您办理。")
s("pay.edu_subsidy", "payment", "payment_issue", ["教育券|消费券|补贴|公积金|政府补贴|培训券"],
  "[{subsidy_policy}|关于补贴或消费券能否使用，需要以校区的实际规定为准]，我帮您向顾问确认后回复您。")

# ---------------- refunds ----------------
s("refund.unused", "refund", "refund_request", ["退费|退钱|退学费|退款|剩下的课|没上完|剩余课时|剩余的课|剩下的钱|不想学了|不学了|退课|退掉|能退吗|可以退吗|退学", "能退|可以退|退不退|给退|退给我|退回来", "退&钱|费|课时|课"],
  "[{customer_name}您好，|您好，]收到您的退费需求。[{refund_policy}。|未上课时的退费按您签订的报名协议执行，一般会扣除已上课时和已领取的教材费用后退还剩余部分。]麻烦提供孩子的姓名和所报课程，" + ADV,
  exclude=["试听|体验课|教材"])
s("refund.process", "refund", "refund_request", ["退费流程|怎么退|退费手续|申请退|退款流程|退费要|办理退|退费怎么"],
  "[{refund_process}|退费流程：提交申请 → 核对已上课时和费用 → 确认退费金额 → 原路退回。]请把孩子的姓名、报名课程和退费原因发给我，我帮您提交申请。")
s("refund.trial", "refund", "refund_request", ["试听|体验课|体验&退"],
  "[{trial_refund_policy}|试听（体验）课的费用能否退，以您购买时的说明为准，]我帮您核对一下，麻烦提供孩子姓名和报名时间。")
s("refund.material", "refund", "refund_request", ["教材|书本|资料|书费&退"],
  "[{material_refund_policy}|已发放的教材一般不能退，未拆封的可以和校区沟通]，具体以报名协议为准。我帮您核对一下具体情况。")
s("refund.moving", "refund", "refund_request", ["搬家|出国|转学|去外地|回老家|离开本地|不在这边"],
  "明白，生活安排有变动很正常。[{refund_policy}。|剩余课时可以按协议办理退费；]如果新的地方离我们其他校区近，也可以考虑转校区或改上线上课。[我们的校区有：{campus_list}。|]" + ADV)
s("refund.amount", "refund", "refund_request", ["能退多少|退多少|扣多少|手续费|违约金|退费标准|按什么标准", "怎么算&退", "退&手续费|违约金|扣钱|扣多少|标准|能退多少"],
  "[{refund_policy}。|退费金额会按报名协议计算：一般是已缴费用扣除已上课时（按协议单价）和已领取教材等费用。]您提供孩子姓名和课程，我请顾问帮您算出具体金额。")
s("refund.cooling", "refund", "refund_request", ["冷静期|后悔了|反悔", "刚报名|刚交|还没上课|没上过课|还没开课&退"],
  "[{cooling_off_policy}|还没开始上课的话，退费按报名协议的规定办理，]我帮您尽快核实。麻烦提供孩子姓名和报名时间。")
s("refund.status", "refund", "refund_request", ["退款|退费|退的钱|退钱|退回|退给&进度|到账|还没到|什么时候|多久|几天|怎么还没"],
  "抱歉让您久等了！麻烦提供孩子姓名和申请退费的日期，我马上帮您查进度。[{refund_timeline}|]")

# ---------------- leave & make-up ----------------
s("leave.how", "leave", ES, ["请假|请个假|去不了|来不了|不能来|上不了|缺课|缺一节|缺席|不能上课|没法上课|要请"],
  "好的，收到！[{leave_policy}|请假请提前告诉班主任或在这里留言，]麻烦告诉我孩子的姓名、班级和请假的日期，我帮您登记。[{makeup_policy}|请假的课会按规定安排补课。]")
s("leave.notice", "leave", ES, ["提前多久请假|请假要提前|怎么请假|请假流程|请假规定|请假方式|在哪请假", "请假&提前|多久|怎么请|流程|规定|跟谁说|找谁"],
  "[{leave_policy}|请假需要提前联系班主任，最好在上课前一天告知，方便我们安排补课]。您也可以直接在这里告诉我孩子的姓名和日期。")
s("leave.sick", "leave", ES, ["生病|发烧|感冒|不舒服|住院|咳嗽"],
  "祝孩子早日康复！这次的课帮您登记请假，[{makeup_policy}|缺的课会安排补课，]麻烦告诉我孩子的姓名、班级和日期。", exclude=["退"])
s("makeup.how", "makeup", ES, ["补课|补上|补一节|怎么补|补回来|补课时|补的课|补多少", "能补|可以补|补得上|补得回|补吗"],
  "[{makeup_policy}|请假的课我们会安排补课，方式有跟其他班插班补课或看回放、老师单独答疑，具体以校区安排为准。]您告诉我孩子的姓名和缺课日期，我帮您安排。")
s("makeup.no_notice", "makeup", ES, ["忘了请假|没请假|没来得及请假|忘记请假|旷课", "没去上|没去|没来上&算|扣|计"],
  "[{absence_policy}|未请假缺课的处理以报名协议为准，]我帮您查一下具体情况。麻烦提供孩子的姓名和缺课日期。")
s("makeup.replay", "makeup", ES, ["回放|录像|重看|看录播|课程视频|上课视频"],
  "[{replay_policy}|部分课程提供课后回放，是否支持以课程安排为准]，您告诉我孩子上的是哪门课，我帮您确认。")
s("leave.pause", "leave", ES, ["暂停|休学|停课一段|冻结|停一段时间|保留课时|先停|停几个月|停课|延期"],
  "[{pause_policy}|如果孩子需要暂停一段时间，可以申请保留课时，具体期限按报名协议执行]。麻烦告诉我孩子的姓名和预计暂停多久，我帮您登记。", exclude=["放假|节假日|春节|国庆|过年"])
s("leave.validity", "leave", ES, ["有效期|过期|课时有效|多久上完|多久内上完|会不会作废|失效"],
  "[{validity_policy}|课时的有效期以报名协议为准，]快到期时我们会提前提醒您。需要我帮您查一下孩子的剩余课时吗？")
s("leave.limit", "leave", ES, ["请假&几次|次数|上限|最多"],
  "[{leave_policy}|每期可请假的次数以报名协议为准]，需要的话我帮您查一下孩子本期已请假的次数。")
s("leave.remaining", "leave", ES, ["剩几节|剩多少课|还剩几次|剩余几节|还有几节|课时余额|课时还剩"],
  "麻烦提供孩子的姓名和所在班级，我帮您查一下剩余课时[，也可以在{app_name}里查看|]。")

# ---------------- homework ----------------
s("hw.amount", "homework", CI, ["作业多|作业量|有没有作业|留作业|布置作业|有作业吗|作业多吗|课后作业|作业多不多", "作业&多久|多长时间|几分钟|写到几点|多少时间|多不多|多吗|量|负担"],
  "[{homework_policy}|每次课后会布置适量的巩固练习，一般15-30分钟能完成，不会给孩子太大负担]。老师会批改并在下节课讲评。", exclude=["辅导|托管"])
s("hw.check", "homework", CI, ["批改|检查作业|作业反馈|订正|改作业|作业点评"],
  "[{homework_policy}|作业交上来后老师会批改并点评，共性问题会在下节课讲解，个别问题会单独反馈给家长]。")
s("hw.help", "homework", CI, ["作业辅导|写作业|辅导作业|托管|晚托|午托|陪写作业"],
  "[{care_policy}|关于作业辅导和托管服务，是否开设以各校区为准]，您告诉我孩子的年级和想去的校区，我帮您确认。")
s("hw.submit", "homework", CI, ["交作业|提交作业|上传作业|作业打卡|作业在哪|作业怎么交", "作业&上传|拍照|提交|交到|打卡|发给老师"],
  "[{homework_submit}|作业一般按老师在家长群里的要求提交，]如果找不到提交入口，告诉我孩子的班级，我帮您问一下老师。")
s("hw.not_done", "homework", CI, ["作业没做|不写作业|不做作业|作业拖拉|作业做不完|作业太难"],
  "孩子写作业有困难也很常见，别着急。我会把情况转告老师，老师可以调整作业量或给孩子单独讲解。也欢迎您多和班主任沟通孩子在家的情况。")

# ---------------- online ----------------
s("online.available", "online", CI, ["网课|线上课|在线课|线上上课|网上上课|有没有线上|远程|线上还是|实体|面授|线上班|在家上|直播课|线上教学|网络课"],
  "[{online_policy}|我们有线上课程，内容和线下同步，孩子在家就能上，时间也更灵活]。[{online_platform}|]您告诉我孩子的年级和想学的科目，我帮您看看线上班的安排。", exclude=["卡|进不去|黑屏|没声音|掉线|闪退"])
s("online.live", "online", CI, ["直播还是录播|录播还是直播|直播|录播|实时", "直播|实时&录|还是"],
  "[{online_mode}|我们的线上课以直播小班为主，课上可以和老师实时互动；部分课程提供课后回放，方便复习]。", exclude=["卡|进不去|黑屏|没声音|掉线"])
s("online.platform", "online", CI, ["用什么软件|什么平台|下载什么|什么app|用哪个app|腾讯会议|钉钉|zoom|classin|上课软件|上课链接"],
  "[线上课使用{online_platform}，|线上课的软件和上课链接会由班主任在开课前发给您，]第一次上课前建议提前10分钟进入调试设备。")
s("online.device", "online", CI, ["电脑|平板|ipad|手机能上|用手机|设备|耳机|摄像头"],
  "[{device_policy}|线上课用电脑或平板效果最好，手机也可以上，建议准备耳机和稳定的网络]，有摄像头的话老师能更好地关注孩子的状态。", exclude=["卡|进不去|黑屏|没声音|掉线|闪退"])
s("online.interaction", "online", CI, ["线上|网课|在线&互动|看得到|能提问|能发言|会不会走神|效果好吗|效果怎么样|专注"],
  "线上课同样有很多互动环节，老师会点名提问、让孩子上麦发言，课后也有答疑。[{online_policy}|]如果担心孩子在家不专注，建议家长在旁边陪伴前几节课。")
s("online.switch", "online", CI + " " + ES, ["线上转线下|线下转线上|转成线上|改成线上|换成线上|转线上|改线下|换成线下"],
  "[{online_switch_policy}|线上和线下之间是可以申请转换的，剩余课时会按规定折算]，我帮您登记，顾问会跟您确认具体安排。")
s("online.tech", "online", "technical_support", ["卡顿|进不去|黑屏|没声音|没有声音|听不到|掉线|闪退|画面卡|声音断|看不到老师|打不开", "画面|视频|声音|直播&卡|糊|黑|断", "一直卡|老是卡|很卡|好卡|卡住|卡了|卡死|登不上|进不了"],
  "抱歉给孩子上课带来影响！可以先试试：1. 检查网络（换到信号好的Wi-Fi）；2. 退出重进课堂或重启软件；3. 确认已允许麦克风和摄像头权限。如果还是不行，请截图发给我，我马上联系技术老师处理，耽误的内容会安排补上。")

# ---------------- campuses ----------------
s("campus.address", "campus", "store_location_hours", ["地址|在哪|在哪里|在哪儿|位置|怎么走|怎么去|定位|导航|边度|喺边|具体位置|哪栋楼|几楼"],
  "[{campus}的地址是：{campus_address}[，电话：{campus_phone}]。|我们的校区有：{campus_list}。|我把校区地址和导航定位发给您，请问您离哪个区域比较近？]", exclude=["建议|报名链接|作业在哪|在哪交|在哪请假|在哪报名|还有位置|有位置吗|没位置|没有位置|位置满"])
s("campus.nearest", "campus", "store_location_hours", ["最近的校区|离我近|离我家近|附近有|附近的校区|哪个校区近|几个校区|有几个校区|哪些校区|校区分布|分校", "校区|分校&最近|近一点|比较近|附近|离我|方便|哪个|哪些|几个", "有校区|有分校|有没有校区|有没有分校|开了校区|开校区"],
  "[我们的校区有：{campus_list}。|我们有多个校区，]您告诉我住在哪个区域或附近的地标，我帮您看看哪个校区最方便。")
s("campus.hours", "campus", "store_location_hours", ["营业时间|几点开门|几点关门|几点下班|开放时间|前台几点|上班时间|周一开|休息吗|开门吗|营业吗|几点到几点营业"],
  "[{campus}的营业时间：{campus_hours}。|{opening_hours}|校区的开放时间以各校区公告为准，节假日可能会调整。]来之前也可以先联系我，我帮您确认。")
s("campus.parking", "campus", "store_location_hours", ["停车|车位|停车场|开车去|开车来|停哪"],
  "[{parking}|关于停车，]建议您到之前先问一下校区，[{campus}的电话是{campus_phone}。|我也可以帮您确认附近的停车位置。]")
s("campus.transport", "campus", "store_location_hours", ["地铁|公交|坐车|几号线|哪个出口|打车|交通"],
  "[{transport}|][{campus}的地址是：{campus_address}，|]您可以在地图里搜索校区名称导航过去，[如需具体的乘车路线，我发给您。|]")
s("campus.environment", "campus", "store_location_hours " + CI, ["环境|教室|装修|甲醛|卫生|空气|通风"],
  "[{environment_intro}|我们的教室都定期通风和清洁消毒，装修通过了相关检测]。欢迎您带孩子来校区实地看看，[{campus}的地址是：{campus_address}。|我可以帮您预约参观时间。]")
s("campus.visit", "campus", "store_location_hours booking_appointment", ["参观|去看看|到店|上门咨询|实地|看一下环境|过去看看|来看看|到校区看"],
  "非常欢迎！您告诉我方便的时间，我帮您预约[{campus}的|]参观，到时会有老师接待讲解。[地址：{campus_address}。|]")
s("campus.phone", "campus", "store_location_hours human_agent", ["电话多少|联系电话|联系方式|校区电话|前台电话|咨询电话|电话号码"],
  "[{campus}的电话是{campus_phone}。|咨询电话：{hotline}。|我把您的需求转给校区老师，请留一下您的联系方式，我们会尽快回电。]")
s("campus.waiting", "campus", "store_location_hours", ["休息区|等孩子|家长休息|家长等|在哪等|等候区"],
  "[{waiting_area}|校区有家长休息区，您可以在那里等孩子下课]。")
s("campus.transfer", "campus", ES, ["换校区|转校区|换个校区|调校区|转到别的校区|去别的校区上"],
  "[{transfer_policy}|可以申请换校区，剩余课时按规定转过去，需要看目标校区的班级名额]。[我们的校区有：{campus_list}。|]您想换到哪个校区？我帮您查一下。")

# ---------------- promotions ----------------
s("promo.general", "promotion", "promotion_coupon", ["优惠|活动|折扣|打折|几折|特价|福利|减免|让利|促销|有没有便宜"],
  "[目前的优惠活动：{promotions}。|优惠活动会不定期推出，具体以校区当期公布的为准。]需要的话我帮您留意最新活动，有合适的第一时间告诉您。", exclude=["老学员|老生|续报|推荐朋友|转介绍|老带新|团购|拼团|早鸟"], priority=0.1)
s("promo.returning", "promotion", "promotion_coupon", ["老学员|老生|老客户|老会员", "续报|续费|续课|续班&优惠|折|便宜|活动|福利"],
  "感谢您一直以来的支持！[{?returning_discount}作为老学员，您可以享受：{returning_discount}。|老学员可以享受：{returning_offer}（以学员身份核实为准）。|{renewal_policy}|老学员续报的优惠以校区当期政策为准，我帮您确认后回复。][其他活动：{promotions}。|]", priority=0.1)
s("promo.referral", "promotion", "promotion_coupon", ["推荐朋友|介绍朋友|转介绍|老带新|带新|推荐同学|介绍同学|朋友介绍|朋友推荐|同事推荐"],
  "[{referral_policy}|感谢您愿意推荐朋友！推荐奖励以校区当期的转介绍政策为准，]您可以把朋友的联系方式给我，或让朋友报名时报上您的名字。", priority=0.1)
s("promo.sibling", "promotion", "promotion_coupon", ["多孩", "两个孩子|二孩|俩孩子|兄弟|姐妹|姐弟|兄妹|二宝|一起报&优惠|便宜|折|减"],
  "[{sibling_policy}|关于多孩同报的优惠，以校区当期政策为准，]我帮您向顾问确认后回复您。", priority=0.1)
s("promo.early", "promotion", "promotion_coupon", ["早鸟", "提前报名|提前报|提早报&优惠|便宜|折|减"],
  "[{early_bird}|早鸟优惠会在部分班级开放报名时推出，具体以当期活动为准]，需要的话我帮您留意。", priority=0.1)
s("promo.group", "promotion", "promotion_coupon", ["团购|拼团|组团|团报", "几个人一起|一起报名|结伴&优惠|便宜|折"],
  "[{group_policy}|关于团报优惠，以校区当期活动为准，]您几位一起报名的话，我帮您向顾问申请看看。", priority=0.1)
s("promo.coupon", "promotion", "promotion_coupon", ["优惠券|代金券|抵用券|券怎么用|券能用|兑换码|优惠码"],
  "[{coupon_policy}|优惠券的使用规则以券面说明为准，报名缴费时出示或输入即可抵扣]，如果券用不了，把截图发给我帮您查。", priority=0.1)
s("promo.gift", "promotion", "promotion_coupon", ["赠送|送课|送礼|礼包|赠品|送什么|送不送"],
  "[{gift_policy}|赠课或礼品以当期活动为准，]我帮您确认一下目前有没有赠送活动。", priority=0.1)
s("promo.returning_lead", "system", "promotion_coupon", [],
  "[{customer_name}，|]感谢您一直以来的信任！作为老学员，您可以优先享受：{returning_discount}。")

# ---------------- recommendations ----------------
REC = ("[{?recommendations}" + HI + "[结合孩子{learner}的情况，|]为您推荐以下课程：\n{recommendations}\n[{?full_courses}（{full_courses}本期已满，可登记候补。）\n|][{!child}方便告诉我孩子的年龄或年级吗？我再帮您精准匹配。|需要我帮您预约试听或预留名额吗？]"
       "|{?full_courses}" + HI + "[适合{learner}孩子的|符合条件的]{full_courses}本期名额已满，我可以帮您登记候补，有空位或新班第一时间通知您。"
       "|" + HI + "[{?child}{?has_catalog}{?subject}暂时没有找到适合{learner}孩子的{subject}课程，我帮您转给课程顾问，看看有没有其他合适的安排。|{?child}{?has_catalog}暂时没有找到适合{learner}孩子的在招课程，我帮您转给课程顾问做详细规划。|{?child}我帮您转给课程顾问，结合孩子{learner}的情况做详细的课程规划[（咨询电话：{hotline}）|]。|为了给孩子推荐合适的课程，方便告诉我孩子的年龄（或年级）和想学的科目吗？]]")
s("recommend.course", "recommend", CI, ["推荐&课|班|学|孩子|报|适合|什么|哪个|哪些|一下", "适合&课|班|课程", "有什么班|有什么课|有啥课|有啥班|有没有什么班|有没有什么课|有合适的|有没有合适|学什么好|报什么|选什么课|选哪个|哪个班合适|哪个课合适|哪门课|有没有适合|什么课好|学点什么|该报|怎么选", "有没有|有无|有合适|适合的&#科目", "#学员&有没有|有什么|哪个|哪些&课|班"],
  REC, exclude=["推荐朋友|推荐同学|介绍朋友|老带新|转介绍|内容|教什么|讲什么"], priority=0.2)
s("recommend.want", "recommend", CI, ["想学|想报|想给孩子报|想让孩子学|打算报|打算学|准备报|准备学|想上|想补"],
  REC, exclude=["退|请假|不想学|报名|报个名|流程|怎么报"], priority=0.1)
s("recommend.tutoring", "recommend", CI, ["补习|辅导班|提分班|培优|补差|补弱", "成绩不好|成绩差|不太好|偏科|拖后腿|提不上去|不及格|考得不好|学不好|成绩下滑|退步", "补&数学|英语|物理|化学|语文|生物|作文|奥数|地理|历史|政治"],
  "孩子成绩暂时落后不用太着急，找准薄弱点有针对性地补，进步会很明显。[{?recommendations}结合孩子{learner}的情况，可以考虑：\n{recommendations}\n|{?full_courses}适合的{full_courses}本期已满，可以帮您登记候补。|]"
  "[{?child}建议先做一次学习诊断，老师会给出具体的提升计划，需要我帮您预约吗？|方便告诉我孩子的年级和目前的成绩情况吗？我请老师给您做个学习诊断。]", exclude=["补课|请假|退"], priority=0.1)
s("recommend.level", "recommend", CI, ["哪个级别|从哪里学起|从哪开始|从几级|哪个阶段|起点|什么水平|哪个班"],
  "[{?recommendations}" + HI + "[结合孩子{learner}的情况，|]可以优先考虑：\n{recommendations}\n最终的级别我们会结合入学测评来定。|孩子适合从哪个级别开始，需要看年龄和目前的基础。[{placement_policy}|建议先做一次水平测评，]老师会给出明确的建议。]")

# ---------------- progress & feedback ----------------
s("progress.report", "progress", CI, ["学习报告|学习情况|课堂表现|课后反馈|学得怎么样|了解孩子|孩子表现|上课表现|进步情况|反馈给家长|学习反馈", "上课情况|上课的情况|课上表现|表现怎么样|学得好不好|有没有进步", "怎么了解|怎么知道&上课|课上|学习|表现"],
  "[{feedback_policy}|每次课后老师会在家长群或学习平台反馈孩子的课堂表现，每个阶段还有学习报告]。如果想详细了解孩子最近的情况，告诉我孩子的姓名和班级，我请老师和您沟通。")
s("progress.test", "progress", CI, ["阶段测试|阶段测评|测验|期中|期末|考试成绩|月考|结课考试"],
  "[{test_policy}|每个学习阶段结束会安排测评，帮助了解孩子的掌握情况]，结果会和老师的建议一起反馈给您。")
s("progress.meeting", "progress", CI, ["家长会|家长沟通|开放日|公开课|展示课|汇报"],
  "[{meeting_policy}|我们会定期举办家长会或公开课，让家长了解孩子的学习成果]，具体时间会提前在家长群通知。")
s("progress.no_improve", "progress", CI, ["没进步|没效果|没提高|成绩没提高|没什么用|学了没用|进步不大|看不到效果"],
  "非常理解您的着急，也谢谢您直接告诉我们。我会把情况反馈给班主任和任课老师，请他们回顾孩子最近的课堂和作业情况，和您一起分析原因、调整学习计划。" + ADV)
s("progress.group", "progress", CI, ["家长群|班级群|拉群|进群|群在哪"],
  "报名分班后，班主任会邀请您加入家长群，上课通知、作业和反馈都会在群里发布。如果已经报名还没进群，告诉我孩子的姓名和班级，我帮您联系班主任。")

# ---------------- materials ----------------
s("material.textbook", "material", CI, ["教材|课本|用什么书|什么书|讲义|教辅|练习册|用哪套"],
  "[{textbook_policy}|我们会根据课程使用对应的教材和自编讲义，开课时发放]。[{course}的详细安排：{course_info}。|]", exclude=["费|退|钱"])
s("material.prepare", "material", CI, ["带什么|准备什么|需要准备|自备|文具|画材|画具|要买什么|要带"],
  "[{prepare_policy}|第一次上课带上文具、水杯就可以，其他需要的材料老师会提前在群里通知]。", exclude=["报名"])
s("material.gift", "material", CI, ["书包|校服|学习用品|礼包|教材包|学习包"],
  "[{kit_policy}|是否有学习礼包以课程和当期活动为准，]我帮您确认一下。")

# ---------------- changes ----------------
s("change.class", "change", ES, ["换班|转班|调班|换个班|调到别的班|换到别的班|转到别的班", "转到|换到|调到&班"],
  "[{transfer_policy}|可以申请换班，需要看目标班级是否还有名额]。您告诉我孩子现在的班级和想换到的时间，我帮您查一下。")
s("change.course", "change", ES, ["换课|转课|换成别的课|换科目|换个课|改报|换一门|转成", "换成|换到|改成|转成|转到|改学|换学&学|课|班|画|琴|舞|编程|英语|数学"],
  "[{course_change_policy}|可以申请转课，剩余学费会按协议折算到新课程，差价多退少补]。您告诉我想转到哪门课，我帮您确认。", exclude=["线上|线下|校区"])
s("change.person", "change", ES, ["转让|转给别人|转给朋友|给弟弟上|给妹妹上|给哥哥上|给姐姐上|给别人上|名额转|课时转", "转给|转让|让给|给&侄|弟|妹|哥|姐|朋友|别人|亲戚|同学|表"],
  "[{transfer_person_policy}|课时能否转让给其他孩子，以报名协议的规定为准，]我帮您向校区确认。麻烦提供孩子姓名和所报课程。")
s("change.level", "change", ES, ["跳级|升级|降级|升班|进阶班|跟不上想降|太简单了|换难一点|换简单", "换|调|转&简单|难一点|基础班|低一级|高一级|提高班|程度"],
  "[{level_policy}|如果孩子觉得内容太难或太简单，可以申请重新测评，老师评估后会调整到更合适的班级]。您告诉我孩子的姓名和班级，我帮您安排。")

# ---------------- safety & pickup ----------------
s("safety.pickup", "safety", CI, ["接送|接孩子|放学接|校车|班车|谁来接|自己回家|送孩子"],
  "[{pickup_policy}|为了孩子安全，下课后需要家长或指定的接送人到教室门口接孩子，如更换接送人请提前告知班主任]。")
s("safety.general", "safety", CI, ["安全|监控|门禁|摄像头看|看监控|实时看|保险"],
  "[{safety_policy}|孩子的安全是第一位的，校区有门禁和监控，课间有老师看护，放学必须由家长或指定接送人接走]。如有特别需要注意的情况，请提前告诉我们。", exclude=["安全期"])
s("safety.meals", "safety", CI, ["午饭|午餐|午休|晚饭|用餐|管饭|供餐|点心", "吃饭|吃的&孩子|课|中午|托管|校区"],
  "[{meal_policy}|关于用餐和午休安排，以各校区和课程的实际情况为准]，我帮您确认一下。如孩子有过敏等情况，请提前告知老师。")

# ---------------- general ----------------
s("general.intro", "general", CI, ["介绍一下|你们是做什么|机构介绍|你们机构|你们学校|是什么机构|做什么的|主要做|教学特点|特色|优势|比别家|跟其他机构|和别的机构"],
  "[您好！欢迎咨询{institution}。|您好！欢迎咨询！][{institution_intro}|][我们目前开设的课程有：{course_list}。|]方便告诉我孩子的年龄（或年级）和想了解的科目吗？我为您详细介绍。")
s("general.license", "general", CI, ["正规吗|办学许可|营业执照|资质|备案|靠谱吗|合法|正规"],
  "[{license_info}|我们是正规注册的培训机构，相关资质证照在校区公示，]欢迎您到校区实地了解，也可以让我把资质信息发给您。")
s("general.consult", "general", CI, ["咨询一下|了解一下|想咨询|想了解|问一下课|问问课|咨询课程|了解课程"],
  HI + "欢迎咨询[{institution}|]！请问孩子今年几岁（或读几年级）、想了解哪方面的课程呢？我帮您详细介绍。")
s("general.advisor", "general", CI, ["课程顾问|顾问老师|咨询老师|专业的老师|找个老师聊聊"],
  "好的，我帮您联系课程顾问，" + ADV)
s("general.certificate", "general", CI, ["结业证|证书吗|有证书|颁发证书|结课证书|学习证明"],
  "[{certificate_policy}|完成课程的学员可获得结业证书，考级类课程的证书以考试机构颁发为准]。")
s("general.class_photo", "general", CI, ["照片|视频|拍照|发照片|上课照片"],
  "[{photo_policy}|老师会在家长群分享孩子上课的照片或小视频，方便您了解课堂情况]；如果您不希望孩子的照片被分享，请提前告诉班主任。")
s("general.lost_item", "general", CI, ["落下|落在|忘带|丢了|遗失|失物", "落|忘|丢&教室|校区|东西|水杯|书包|衣服|外套|雨伞|文具"],
  "别着急！请告诉我孩子的姓名、上课的时间和教室，以及落下的物品，我马上联系校区帮您找一下。")
s("general.weather", "general", ES, ["下雨|暴雨|台风|下雪|天气不好|高温|停课吗|红色预警"],
  "[{weather_policy}|遇到恶劣天气，是否停课会以校区在家长群的通知为准，停课的课时会顺延补上]。出行请注意安全！")
s("general.attendance", "general", ES, ["签到|考勤|打卡上课|迟到|早退"],
  "[{attendance_policy}|上课请尽量准时，迟到的话直接进教室就可以，老师课后会帮孩子补上错过的内容]。如需早退请提前告知老师。")

import re
COMPUTED = {"customer_name","institution","hotline","course","price","seats_left","full_course","schedule","teacher","subject",
  "course_info","course_desc","course_class_size","course_ages","course_prices","course_seats","course_schedules","course_teachers",
  "campus","campus_address","campus_phone","campus_hours","campus_list","course_list","has_catalog","child","grade","age",
  "recommendations","full_courses","returning_discount","returning_offer","learner"}
def punctuate(t):
    # A tenant's policy text is a clause without a full stop: close it (the plugin collapses doubles).
    return re.sub(r"\[\{([a-z_]+)\}\|", lambda m: m.group(0) if m.group(1) in COMPUTED else "[{%s}。|" % m.group(1), t)
for d in S:
    d["answer"] = punctuate(d["answer"])
import os
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "scripts.jsonl")
with open(OUT, "w") as f:
    f.write("# The education skill pack's script library (话术库): one JSON object per line.\n")
    f.write("# Fields: id, topic, intents, keywords (a|b any of; a|b&c|d one of each group), exclude, answer, priority.\n")
    f.write("# Templates: {var} fills a variable, [a|b] takes the first alternative whose variables are known, {?var}/{!var} need var known/unknown.\n")
    for d in S:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
print(f"{len(S)} scripts -> {os.path.normpath(OUT)}")
